package io.dtrbackup.image.archive;

import static org.assertj.core.api.Assertions.assertThat;

import io.dtrbackup.common.archive.TarListing;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The rewriter's output is byte for byte the archive GNU tar writes of the same folder with
 * {@code --format=posix --pax-option=delete=atime,delete=ctime}: headers (extended headers and
 * their names, PAX records and their order, numeric fields, checksums), data, padding and the
 * end of the archive. The input is GNU tar's own archive of the data folder, in POSIX format and
 * in GNU format (long-name entries, base-256 numbers), so the reader is checked on both. The
 * tree holds what the issue names: long and non-ASCII names, symlinks (short, long and non-ASCII
 * targets), a hard link with a long target, an empty folder, files of 0 bytes, of exactly 512
 * and 1024 bytes, names of exactly 100 and 101 bytes, a uid past the octal field, an mtime past
 * it and one before 1970, setuid and private modes.
 */
class GnuTarByteEqualityTest {
    private static final String VOLUME = "dtr-registry-0123456789ab";
    private static final Instant CREATED = Instant.parse("2024-05-06T07:08:09Z");
    private static final String BLOB = "docker/registry/v2/blobs/sha256/ab/" + "ab" + "0".repeat(62) + "/data";
    private static final String LONG_DIR = "team-" + "a".repeat(110) + "/image-" + "b".repeat(120);
    private static final String UNICODE_DIR = "ünïcødé-репо/образ-ñ";

    @TempDir
    Path tmp;
    private Path root;
    private Path volume;
    private Path data;

    @BeforeEach
    void tree() throws Exception {
        root = Files.createDirectory(tmp.resolve("root"));
        volume = Files.createDirectories(root.resolve("var/lib/docker/volumes/" + VOLUME));
        data = Files.createDirectory(volume.resolve("_data"));
        Random random = new Random(11);
        file(BLOB, random, 513, "rw-r-----");
        Files.createDirectories(data.resolve("docker/registry/v2/repositories/team/app/_layers"));
        Files.createDirectory(data.resolve("empty"));
        file("zero", random, 0, "rw-r--r--");
        file("block512", random, 512, "rw-r--r--");
        file("block1024", random, 1024, "rw-------");
        file(LONG_DIR + "/big", random, 3 * 1024 * 1024 + 17, "rw-r--r--");
        file(UNICODE_DIR + "/файл", random, 6, "rw-r--r--");
        // The whole member name (with var/lib/docker/volumes/<v>/_data/) of exactly 100 and 101 bytes.
        String prefix = "var/lib/docker/volumes/" + VOLUME + "/_data/";
        file("n".repeat(100 - prefix.length()), random, 10, "rw-r--r--");
        file("m".repeat(101 - prefix.length()), random, 10, "rw-r--r--");
        file("setuid-tool", random, 100, "rwxr-xr-x");
        Files.setAttribute(data.resolve("setuid-tool"), "unix:mode", 04755);
        file("big-uid", random, 1, "rw-r--r--");
        Files.setAttribute(data.resolve("big-uid"), "unix:uid", 3_000_000);
        Files.setAttribute(data.resolve("big-uid"), "unix:gid", 42);
        Files.createSymbolicLink(data.resolve("link"), Path.of("docker/registry"));
        Files.createSymbolicLink(data.resolve("long-link"), Path.of("../" + LONG_DIR + "/big"));
        Files.createSymbolicLink(data.resolve("unicode-link"), Path.of(UNICODE_DIR + "/файл"));
        Files.createLink(data.resolve("hard"), data.resolve(LONG_DIR + "/big"));
        // Long name and long target together: GNU tar writes linkpath before path.
        Files.createSymbolicLink(data.resolve(LONG_DIR + "/link-" + "c".repeat(60)), Path.of("../../" + LONG_DIR + "/big"));
        Files.createLink(data.resolve(UNICODE_DIR + "/жёсткая"), data.resolve(BLOB));
        file("future", random, 3, "rw-r--r--");
        file("past", random, 3, "rw-r--r--");

        // Whole-second mtimes everywhere (what the engine sends), folders last.
        touch(data, 1_650_000_000L);
        run(root, "find", data.toString(), "-depth", "-exec", "touch", "-h", "-d", "@1650000000", "{}", "+");
        Files.setLastModifiedTime(data.resolve("future"), FileTime.from(Instant.ofEpochSecond(9_000_000_000L)));
        Files.setLastModifiedTime(data.resolve("past"), FileTime.from(Instant.ofEpochSecond(-86_400L)));
        Files.setLastModifiedTime(data.resolve(BLOB), FileTime.from(Instant.ofEpochSecond(1_700_000_123L)));
        Files.setLastModifiedTime(data.resolve("empty"), FileTime.from(Instant.ofEpochSecond(1_600_000_000L)));
        // The volume folder as Docker creates it, and as the rewriter describes it.
        Files.setPosixFilePermissions(volume, PosixFilePermissions.fromString("rwx-----x"));
        Files.setLastModifiedTime(volume, FileTime.from(CREATED));
    }

    @Test
    void rewritingGnuTarsPosixArchiveGivesGnuTarsArchiveOfTheVolumeFolder() throws Exception {
        assertRewritesToGnuTarOfTheVolume("posix");
    }

    @Test
    void aFractionOfASecondInAPosixMtimeRecordIsKept() throws Exception {
        Path nanos = data.resolve("nanos");
        Files.write(nanos, new byte[] {1, 2, 3});
        Files.setLastModifiedTime(nanos, FileTime.from(Instant.ofEpochSecond(1_650_000_000L, 123_456_700)));
        touch(data, 1_650_000_000L);
        assertRewritesToGnuTarOfTheVolume("posix");
    }

    @Test
    void rewritingGnuTarsGnuFormatArchiveGivesTheSameBytes() throws Exception {
        assertRewritesToGnuTarOfTheVolume("gnu");
    }

    private void assertRewritesToGnuTarOfTheVolume(String inputFormat) throws Exception {
        Path expected = tmp.resolve("expected.tar");
        run(root, "tar", "--format=posix", "--pax-option=delete=atime,delete=ctime", "--sort=name", "-cf",
                expected.toString(), "var/lib/docker/volumes/" + VOLUME);
        Path input = tmp.resolve("input-" + inputFormat + ".tar");
        // The engine's archive has the data folder as its root; here it is named _data.
        List<String> command = new ArrayList<>(List.of("tar", "--format=" + inputFormat, "--sort=name", "-cf",
                input.toString(), "_data"));
        if (inputFormat.equals("posix")) {
            command.add(2, "--pax-option=delete=atime,delete=ctime");
        }
        run(volume, command.toArray(String[]::new));

        VolumeTarRewriter rewriter = new VolumeTarRewriter("_data", "/" + root.relativize(data), CREATED);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        VolumeTarRewriter.Result result = rewriter.rewrite(Files.newInputStream(input), out, new TarListing(),
                (e, f) -> { });

        byte[] want = Files.readAllBytes(expected);
        byte[] got = out.toByteArray();
        assertThat(firstDifference(got, want)).as("first differing byte (-1: none), in the block of "
                + memberAt(want, firstDifference(got, want))).isEqualTo(-1);
        assertThat(got).isEqualTo(want);

        List<String> names = run(tmp, "tar", "--quoting-style=literal", "-tf", expected.toString()).lines().toList();
        assertThat(names).contains("var/lib/docker/volumes/" + VOLUME + "/", "var/lib/docker/volumes/" + VOLUME
                + "/_data/" + LONG_DIR + "/big", "var/lib/docker/volumes/" + VOLUME + "/_data/" + UNICODE_DIR + "/файл");
        assertThat(result.entryCount()).isEqualTo(names.size());
        TarListing listing = new TarListing();
        names.forEach(listing::add);
        assertThat(result.listingSha256()).isEqualTo(listing.sha256());
        assertThat(result.blobCount()).isEqualTo(1);
    }

    @Test
    void aRewrittenArchiveThatIsNotByteEqualWouldBeCaught() throws Exception {
        // Guards the comparison itself: Commons Compress's POSIX writer (the former implementation)
        // lists the same names but its headers differ from GNU tar's.
        Path expected = tmp.resolve("expected.tar");
        run(root, "tar", "--format=posix", "--pax-option=delete=atime,delete=ctime", "--sort=name", "-cf",
                expected.toString(), "var/lib/docker/volumes/" + VOLUME);
        ByteArrayOutputStream commons = new ByteArrayOutputStream();
        try (var in = new org.apache.commons.compress.archivers.tar.TarArchiveInputStream(
                Files.newInputStream(expected), StandardCharsets.UTF_8.name());
                var tarOut = new org.apache.commons.compress.archivers.tar.TarArchiveOutputStream(commons,
                        StandardCharsets.UTF_8.name())) {
            tarOut.setLongFileMode(org.apache.commons.compress.archivers.tar.TarArchiveOutputStream.LONGFILE_POSIX);
            tarOut.setBigNumberMode(org.apache.commons.compress.archivers.tar.TarArchiveOutputStream.BIGNUMBER_POSIX);
            tarOut.setAddPaxHeadersForNonAsciiNames(true);
            for (var e = in.getNextEntry(); e != null; e = in.getNextEntry()) {
                tarOut.putArchiveEntry(e);
                in.transferTo(tarOut);
                tarOut.closeArchiveEntry();
            }
        }
        assertThat(firstDifference(commons.toByteArray(), Files.readAllBytes(expected))).isNotEqualTo(-1);
    }

    private void file(String relative, Random random, int size, String perms) throws IOException {
        Path p = data.resolve(relative);
        Files.createDirectories(p.getParent());
        byte[] bytes = new byte[size];
        random.nextBytes(bytes);
        Files.write(p, bytes);
        Files.setPosixFilePermissions(p, PosixFilePermissions.fromString(perms));
    }

    private static void touch(Path p, long seconds) throws IOException {
        Files.setLastModifiedTime(p, FileTime.from(Instant.ofEpochSecond(seconds)));
    }

    static int firstDifference(byte[] a, byte[] b) {
        int n = Math.min(a.length, b.length);
        for (int i = 0; i < n; i++) {
            if (a[i] != b[i]) {
                return i;
            }
        }
        return a.length == b.length ? -1 : n;
    }

    /** The name field of the 512-byte block holding {@code offset}, for failure messages. */
    static String memberAt(byte[] tar, int offset) {
        if (offset < 0 || offset >= tar.length) {
            return "-";
        }
        int block = offset / 512 * 512;
        int end = block;
        while (end < block + 100 && tar[end] != 0) {
            end++;
        }
        return "block at " + block + " named '" + new String(tar, block, end - block, StandardCharsets.UTF_8)
                + "' (offset in block " + (offset - block) + ")";
    }

    static String run(Path dir, String... command) throws Exception {
        Path err = Files.createTempFile(dir.getFileSystem().getPath(System.getProperty("java.io.tmpdir")), "err",
                ".txt");
        Process p = new ProcessBuilder(command).directory(dir.toFile()).redirectError(err.toFile()).start();
        String stdout;
        try (InputStream in = p.getInputStream()) {
            stdout = new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
        int code = p.waitFor();
        String stderr = Files.readString(err);
        Files.delete(err);
        assertThat(code).as(String.join(" ", command) + ": " + stderr).isZero();
        assertThat(stderr).as(String.join(" ", command)).isEmpty();
        return stdout;
    }
}
