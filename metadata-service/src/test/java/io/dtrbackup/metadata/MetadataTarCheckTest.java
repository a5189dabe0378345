package io.dtrbackup.metadata;

import static org.assertj.core.api.Assertions.assertThat;

import io.dtrbackup.common.archive.TarListing;
import io.dtrbackup.testsupport.DtrMetadataTar;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;
import org.junit.jupiter.api.Test;

class MetadataTarCheckTest {

    private static MetadataTarCheck.Result check(byte[] tar, String version) throws IOException {
        return MetadataTarCheck.inspect(new ByteArrayInputStream(tar), version);
    }

    private static byte[] tar(String... names) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (TarArchiveOutputStream tar = new TarArchiveOutputStream(out)) {
            for (String name : names) {
                byte[] data = name.endsWith("/") ? new byte[0] : ("{\"n\":\"" + name + "\"}").getBytes(StandardCharsets.UTF_8);
                TarArchiveEntry e = new TarArchiveEntry(name);
                e.setSize(data.length);
                tar.putArchiveEntry(e);
                tar.write(data);
                tar.closeArchiveEntry();
            }
        }
        return out.toByteArray();
    }

    @Test
    void acceptsTheStandInsTarAndComputesTheListing() throws IOException {
        byte[] bytes = DtrMetadataTar.bytes("2.9.4", true, false, false, 0);
        MetadataTarCheck.Result result = check(bytes, "2.9.4");
        assertThat(result.problem()).isNull();
        assertThat(result.topFolder()).isEqualTo("dtr-backup-v2.9.4-online/");
        assertThat(result.tables()).containsAll(DtrMetadataTar.TABLES);
        assertThat(result.bytes()).isEqualTo(bytes.length);

        TarListing expected = new TarListing();
        try (TarArchiveInputStream in = new TarArchiveInputStream(new ByteArrayInputStream(bytes))) {
            TarArchiveEntry e;
            while ((e = in.getNextEntry()) != null) {
                expected.add(e.getName());
            }
        }
        assertThat(result.entryCount()).isEqualTo(expected.entryCount());
        assertThat(result.listingSha256()).isEqualTo(expected.sha256());
    }

    @Test
    void seesTablesLeftOutByTheIgnoreFlags() throws IOException {
        MetadataTarCheck.Result result = check(DtrMetadataTar.bytes("2.9.18", false, true, true, 0), "2.9.18");
        assertThat(result.problem()).isNull();
        assertThat(result.topFolder()).isEqualTo("dtr-backup-v2.9.18/");
        assertThat(result.tables()).contains("properties").doesNotContain("events", "scanned_images", "scanned_layers");
    }

    @Test
    void acceptsATarWithGnuBlockPadding() throws IOException {
        byte[] plain = tar("dtr-backup-v2.7.5/", "dtr-backup-v2.7.5/rethink/", "dtr-backup-v2.7.5/rethink/properties/",
                "dtr-backup-v2.7.5/rethink/properties/0");
        assertThat(check(plain, "2.7.5").problem()).isNull(); // commons-compress pads to 10240 with zeros
    }

    @Test
    void rejectsEmptyOutput() throws IOException {
        assertThat(check(new byte[0], "2.9.4").problem()).contains("wrote nothing");
    }

    @Test
    void rejectsNonTarOutput() throws IOException {
        byte[] text = "FATA[0000] something went wrong\n".repeat(40).getBytes(StandardCharsets.UTF_8);
        assertThat(check(text, "2.9.4").problem()).isNotNull();
    }

    @Test
    void rejectsATarCutOffInsideAnEntry() throws IOException {
        byte[] bytes = DtrMetadataTar.bytes("2.9.4", true, false, false, 0);
        byte[] cut = Arrays.copyOf(bytes, bytes.length / 2 + 100);
        assertThat(check(cut, "2.9.4").problem()).isNotNull();
    }

    @Test
    void rejectsATarCutOffAtABlockBoundaryWithoutTheEndMarker() throws IOException {
        byte[] bytes = DtrMetadataTar.bytes("2.9.4", true, false, false, 0);
        byte[] cut = Arrays.copyOf(bytes, bytes.length - 1024); // the stand-in's 1024-byte trailer removed
        assertThat(check(cut, "2.9.4").problem()).contains("end-of-archive");
    }

    @Test
    void aStreamStoppingWhereAHeaderBelongsIsJudgedByItsEntriesAndItsTail() throws IOException {
        byte[] bytes = DtrMetadataTar.bytes("2.9.4", true, false, false, 0);
        byte[] cut = Arrays.copyOf(bytes, bytes.length - 1024);
        assertThat(check(cut, "2.9.4").problem()).isEqualTo(
                "the tar has no end-of-archive marker (two zero blocks): the output was cut off");
        byte[] shortText = "FATA[0000] no such host\n".getBytes(StandardCharsets.UTF_8);
        assertThat(check(shortText, "2.9.4").problem()).isEqualTo(
                "the output is not a tar or holds no entries (" + shortText.length + " bytes)");
    }

    @Test
    void rejectsAMissingPropertiesTable() throws IOException {
        byte[] bytes = tar("dtr-backup-v2.9.4/", "dtr-backup-v2.9.4/rethink/", "dtr-backup-v2.9.4/rethink/tags/",
                "dtr-backup-v2.9.4/rethink/tags/0");
        assertThat(check(bytes, "2.9.4").problem()).contains("'properties' table").contains("[tags]");
    }

    @Test
    void rejectsAMissingRethinkFolder() throws IOException {
        byte[] bytes = tar("dtr-backup-v2.9.4/", "dtr-backup-v2.9.4/other/x");
        assertThat(check(bytes, "2.9.4").problem()).contains("rethink/");
    }

    @Test
    void rejectsAnotherVersionsTopFolderAndStrayEntries() throws IOException {
        assertThat(check(DtrMetadataTar.bytes("2.9.4", false, false, false, 0), "2.9.5").problem())
                .contains("top folder").contains("dtr-backup-v2.9.5");
        byte[] stray = tar("dtr-backup-v2.9.4/", "dtr-backup-v2.9.4/rethink/properties/0", "etc/passwd");
        assertThat(check(stray, "2.9.4").problem()).contains("outside the top folder");
    }

    @Test
    void readsTheWholeStreamEvenWhenTheTarIsBad() throws IOException {
        byte[] garbage = new byte[300_000];
        Arrays.fill(garbage, (byte) 'x');
        CountingStream in = new CountingStream(new ByteArrayInputStream(garbage));
        assertThat(MetadataTarCheck.inspect(in, "2.9.4").problem()).isNotNull();
        assertThat(in.count).isEqualTo(garbage.length);
    }

    @Test
    void listsEntriesInArchiveOrder() throws IOException {
        List<String> names = List.of("dtr-backup-v2.9.4/", "dtr-backup-v2.9.4/rethink/",
                "dtr-backup-v2.9.4/rethink/properties/", "dtr-backup-v2.9.4/rethink/properties/0");
        TarListing expected = new TarListing();
        names.forEach(expected::add);
        MetadataTarCheck.Result result = check(tar(names.toArray(String[]::new)), "2.9.4");
        assertThat(result.listingSha256()).isEqualTo(expected.sha256());
        assertThat(result.entryCount()).isEqualTo(4);
    }

    private static final class CountingStream extends InputStream {
        private final InputStream in;
        long count;

        CountingStream(InputStream in) {
            this.in = in;
        }

        @Override
        public int read() throws IOException {
            int b = in.read();
            if (b >= 0) {
                count++;
            }
            return b;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            int n = in.read(b, off, len);
            if (n > 0) {
                count += n;
            }
            return n;
        }
    }
}
