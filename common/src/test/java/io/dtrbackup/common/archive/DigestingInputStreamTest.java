package io.dtrbackup.common.archive;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.Random;
import java.util.zip.CRC32C;
import org.junit.jupiter.api.Test;

class DigestingInputStreamTest {
    private final byte[] data = new byte[1_000_003];

    DigestingInputStreamTest() {
        new Random(5).nextBytes(data);
    }

    @Test
    void countsHashesAndChecksumsWhatPassesThroughInBulkAndByteByByte() throws Exception {
        DigestingInputStream in = new DigestingInputStream(new ByteArrayInputStream(data), n -> { });
        in.read();
        in.readNBytes(4096);
        in.transferTo(java.io.OutputStream.nullOutputStream());
        CRC32C crc = new CRC32C();
        crc.update(data);
        assertThat(in.bytesRead()).isEqualTo(data.length);
        assertThat(in.crc32c()).isEqualTo(String.format("%08x", crc.getValue()));
        assertThat(in.sha256()).isEqualTo(HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(data)));
    }

    @Test
    void withoutSha256OnlyTheSizeAndTheCrc32cAreKnown() throws Exception {
        DigestingInputStream in = new DigestingInputStream(new ByteArrayInputStream(data), n -> { }, false);
        in.transferTo(java.io.OutputStream.nullOutputStream());
        CRC32C crc = new CRC32C();
        crc.update(data);
        assertThat(in.crc32c()).isEqualTo(String.format("%08x", crc.getValue()));
        assertThatThrownBy(in::sha256).isInstanceOf(IllegalStateException.class);
    }
}
