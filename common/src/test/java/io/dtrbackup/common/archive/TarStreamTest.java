package io.dtrbackup.common.archive;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@link PosixHeaderWriter} and {@link TarStreamReader} on what a small tree cannot show. */
class TarStreamTest {
    private static final long NINE_GIB = 9L << 30;

    @Test
    void membersOfEveryKindSurviveWriterAndReader() throws IOException {
        List<TarMember> members = List.of(
                member("a/", TarMember.DIRECTORY, 0755, 0, null),
                member("a/file", TarMember.REGULAR, 0644, 5, null),
                member("a/" + "x".repeat(150), TarMember.REGULAR, 0600, 0, null),
                member("a/sym", TarMember.SYMLINK, 0777, 0, "t".repeat(120)),
                member("a/hard", TarMember.HARD_LINK, 0644, 0, "a/file"),
                member("a/fifo", TarMember.FIFO, 0644, 0, null),
                new TarMember("a/chr", TarMember.CHAR_DEVICE, 0620, 0, 5, 0, 1_600_000_000L, 0, null, "root", "tty",
                        4, 3_000_000),
                new TarMember("a/ü", TarMember.REGULAR, 04755, 3_000_000, 3_000_001, 2, 9_000_000_000L, 0, null,
                        "ünï", "g".repeat(40), 0, 0),
                new TarMember("a/old", TarMember.REGULAR, 0644, 1, 2, 1, -2, 500_000_000, null, "u", "g", 0, 0),
                new TarMember("a/frac", TarMember.REGULAR, 0644, 1, 2, 1, 1_650_000_000L, 7, null, "u", "g", 0, 0));
        ByteArrayOutputStream tar = new ByteArrayOutputStream();
        PosixHeaderWriter writer = new PosixHeaderWriter();
        for (TarMember m : members) {
            tar.write(writer.array(), 0, writer.format(m));
            tar.write(new byte[(int) m.size()]);
            tar.write(new byte[TarStreamReader.padding(m.size())]);
        }
        tar.write(new byte[1024]);

        TarStreamReader reader = new TarStreamReader(new ByteArrayInputStream(tar.toByteArray()));
        for (TarMember m : members) {
            TarMember back = reader.next();
            assertThat(back).isEqualTo(m);
            reader.transferData(ByteArrayOutputStream.nullOutputStream());
        }
        assertThat(reader.next()).isNull();

        // Commons Compress, an independent reader, agrees on what matters to it.
        try (TarArchiveInputStream in = new TarArchiveInputStream(new ByteArrayInputStream(tar.toByteArray()),
                StandardCharsets.UTF_8.name())) {
            for (TarMember m : members) {
                TarArchiveEntry e = in.getNextEntry();
                assertThat(e.getName()).isEqualTo(m.name());
                assertThat(e.getSize()).isEqualTo(m.isRegular() ? m.size() : 0);
                assertThat(e.getLongUserId()).isEqualTo(m.uid());
                assertThat(e.getUserName()).isEqualTo(m.uname());
                assertThat(e.getGroupName()).isEqualTo(m.gname());
                if (m.linkName() != null) {
                    assertThat(e.getLinkName()).isEqualTo(m.linkName());
                }
            }
        }
    }

    @Test
    void aFileOverEightGibGetsAPaxSizeThatGnuTarAndCommonsCompressRead(@TempDir Path tmp) throws Exception {
        TarMember big = new TarMember("v/_data/huge", TarMember.REGULAR, 0644, 0, 0, NINE_GIB, 1_650_000_000L, 0, null,
                "root", "root", 0, 0);
        PosixHeaderWriter writer = new PosixHeaderWriter();
        int n = writer.format(big);
        byte[] header = Arrays.copyOf(writer.array(), n);
        assertThat(new String(header, StandardCharsets.ISO_8859_1)).contains("19 size=9663676416\n")
                .contains("v/_data/PaxHeaders/huge");
        assertThat(n).isEqualTo(3 * 512);

        TarStreamReader reader = new TarStreamReader(new ByteArrayInputStream(header));
        assertThat(reader.next().size()).isEqualTo(NINE_GIB);
        try (TarArchiveInputStream in = new TarArchiveInputStream(new ByteArrayInputStream(header))) {
            assertThat(in.getNextEntry().getSize()).isEqualTo(NINE_GIB);
        }
        // GNU tar lists the header (then reports the missing data).
        Path tar = tmp.resolve("huge.tar");
        Files.write(tar, header);
        Process p = new ProcessBuilder("tar", "-tvf", tar.toString()).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        p.waitFor();
        assertThat(out).contains(Long.toString(NINE_GIB)).contains("v/_data/huge");
    }

    @Test
    void gnuTimeAndNameConventions() {
        assertThat(PosixHeaderWriter.timespec(5, 0)).isEqualTo("5");
        assertThat(PosixHeaderWriter.timespec(1, 500_000_000)).isEqualTo("1.5");
        assertThat(PosixHeaderWriter.timespec(5, 1)).isEqualTo("5.000000001");
        assertThat(PosixHeaderWriter.timespec(-2, 500_000_000)).isEqualTo("-1.5");
        assertThat(PosixHeaderWriter.timespec(-86_400, 0)).isEqualTo("-86400");
        assertThat(PosixHeaderWriter.extendedHeaderName("var/lib/x/")).isEqualTo("var/lib/PaxHeaders/x");
        assertThat(PosixHeaderWriter.extendedHeaderName("d")).isEqualTo("./PaxHeaders/d");
    }

    @Test
    void brokenArchivesFail() throws IOException {
        PosixHeaderWriter writer = new PosixHeaderWriter();
        int n = writer.format(member("a/file", TarMember.REGULAR, 0644, 3, null));
        byte[] header = Arrays.copyOf(writer.array(), n);
        ByteArrayOutputStream oneFile = new ByteArrayOutputStream();
        oneFile.write(header);
        oneFile.write(new byte[512]);

        // Stops at a member boundary without the end-of-archive block: truncated, not complete.
        TarStreamReader noEnd = new TarStreamReader(new ByteArrayInputStream(oneFile.toByteArray()));
        noEnd.next();
        noEnd.transferData(ByteArrayOutputStream.nullOutputStream());
        assertThatThrownBy(noEnd::next).isInstanceOf(EOFException.class).hasMessageContaining("end-of-archive");
        // Ends inside the data.
        TarStreamReader cut = new TarStreamReader(new ByteArrayInputStream(header));
        cut.next();
        assertThatThrownBy(() -> cut.transferData(ByteArrayOutputStream.nullOutputStream()))
                .isInstanceOf(EOFException.class);
        // A flipped bit in a header.
        byte[] corrupt = header.clone();
        corrupt[3] ^= 1;
        assertThatThrownBy(() -> new TarStreamReader(new ByteArrayInputStream(corrupt)).next())
                .hasMessageContaining("checksum");
        // Nothing at all.
        assertThatThrownBy(() -> new TarStreamReader(new ByteArrayInputStream(new byte[0])).next())
                .hasMessageContaining("empty");
        // A GNU sparse member is refused rather than rewritten wrongly.
        byte[] sparse = header.clone();
        sparse[156] = 'S';
        fixChecksum(sparse);
        assertThatThrownBy(() -> new TarStreamReader(new ByteArrayInputStream(sparse)).next())
                .hasMessageContaining("unsupported tar entry type 'S'");
    }

    @Test
    void aStreamStoppingWhereAHeaderBelongsMissesOnlyTheEndUnlessAnExtendedHeaderWaits() throws IOException {
        PosixHeaderWriter writer = new PosixHeaderWriter();
        int n = writer.format(member("a/" + "x".repeat(150), TarMember.REGULAR, 0644, 0, null));
        byte[] member = Arrays.copyOf(writer.array(), n); // extended header, then the ustar header
        assertThat(n).isEqualTo(3 * 512);

        TarStreamReader atBoundary = new TarStreamReader(new ByteArrayInputStream(member));
        atBoundary.next();
        atBoundary.skipData();
        assertThatThrownBy(atBoundary::next).isInstanceOf(TarStreamReader.MissingEndException.class)
                .hasMessageContaining("end-of-archive");
        byte[] insideHeader = Arrays.copyOf(member, member.length + 100);
        Arrays.fill(insideHeader, member.length, insideHeader.length, (byte) 'x');
        TarStreamReader cutHeader = new TarStreamReader(new ByteArrayInputStream(insideHeader));
        cutHeader.next();
        cutHeader.skipData();
        assertThatThrownBy(cutHeader::next).isInstanceOf(TarStreamReader.MissingEndException.class)
                .hasMessageContaining("inside a header");
        assertThatThrownBy(() -> new TarStreamReader(new ByteArrayInputStream(new byte[0])).next())
                .isInstanceOf(TarStreamReader.MissingEndException.class);
        // An extended header whose member never comes: damage, not just a missing end.
        byte[] orphan = Arrays.copyOf(member, 2 * 512);
        assertThatThrownBy(() -> new TarStreamReader(new ByteArrayInputStream(orphan)).next())
                .isInstanceOf(EOFException.class).isNotInstanceOf(TarStreamReader.MissingEndException.class);
    }

    @Test
    void aFolderNamedWithoutItsSlashGetsItUnlessAPaxPathNamesIt() throws IOException {
        String longFolder = "d/" + "y".repeat(150);
        ByteArrayOutputStream tar = new ByteArrayOutputStream();
        PosixHeaderWriter writer = new PosixHeaderWriter();
        tar.write(writer.array(), 0, writer.format(member("d", TarMember.DIRECTORY, 0755, 0, null)));
        tar.write(writer.array(), 0, writer.format(member(longFolder, TarMember.DIRECTORY, 0755, 0, null)));
        tar.write(new byte[1024]);
        TarStreamReader reader = new TarStreamReader(new ByteArrayInputStream(tar.toByteArray()));
        assertThat(reader.next().name()).isEqualTo("d/");
        reader.skipData();
        assertThat(reader.next().name()).isEqualTo(longFolder);
        reader.skipData();
        assertThat(reader.next()).isNull();
    }

    @Test
    void dataIsReadAsAStreamThatEndsWithTheMember() throws IOException {
        ByteArrayOutputStream tar = new ByteArrayOutputStream();
        PosixHeaderWriter writer = new PosixHeaderWriter();
        for (String name : List.of("a/one", "a/two")) {
            tar.write(writer.array(), 0, writer.format(member(name, TarMember.REGULAR, 0644, 5, null)));
            tar.write((name.substring(2) + "!!").getBytes(StandardCharsets.US_ASCII));
            tar.write(new byte[TarStreamReader.padding(5)]);
        }
        tar.write(new byte[1024]);
        TarStreamReader reader = new TarStreamReader(new ByteArrayInputStream(tar.toByteArray()));
        reader.next();
        assertThat(new String(reader.data().readAllBytes(), StandardCharsets.US_ASCII)).isEqualTo("one!!");
        reader.skipData();
        reader.next();
        assertThat(reader.data().readNBytes(2)).isEqualTo("tw".getBytes(StandardCharsets.US_ASCII));
        reader.skipData(); // the unread rest and the padding
        assertThat(reader.next()).isNull();
        assertThat(reader.offset()).isEqualTo(tar.size());
    }

    @Test
    void aPaxNumberTooLargeForItsFieldIsAnIoError() throws IOException {
        PosixHeaderWriter writer = new PosixHeaderWriter();
        int n = writer.format(member("a/" + "x".repeat(150), TarMember.REGULAR, 0644, 0, null));
        byte[] header = Arrays.copyOf(writer.array(), n);
        byte[] record = "34 size=9999999999999999999999999\n".getBytes(StandardCharsets.US_ASCII);
        assertThat(record).hasSize(34);
        byte[] tar = new byte[3 * 512];
        System.arraycopy(header, 0, tar, 0, 512);
        System.arraycopy(String.format("%011o", record.length).getBytes(StandardCharsets.US_ASCII), 0, tar, 124, 11);
        fixChecksum(tar);
        System.arraycopy(record, 0, tar, 512, record.length);
        System.arraycopy(header, 2 * 512, tar, 2 * 512, 512);
        assertThatThrownBy(() -> new TarStreamReader(new ByteArrayInputStream(tar)).next())
                .isInstanceOf(IOException.class).hasMessageContaining("bad PAX size");
    }

    private static void fixChecksum(byte[] block) {
        Arrays.fill(block, 148, 156, (byte) ' ');
        long sum = 0;
        for (int i = 0; i < 512; i++) {
            sum += block[i] & 0xff;
        }
        byte[] digits = String.format("%06o", sum).getBytes(StandardCharsets.US_ASCII);
        System.arraycopy(digits, 0, block, 148, 6);
        block[154] = 0;
    }

    private static TarMember member(String name, byte type, int mode, long size, String link) {
        return new TarMember(name, type, mode, 1000, 1000, size, 1_650_000_000L, 0, link, "user", "group", 0, 0);
    }
}
