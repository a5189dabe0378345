package io.dtrbackup.image.archive;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.dtrbackup.common.archive.TarListing;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;
import org.apache.commons.compress.archivers.tar.TarConstants;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class VolumeTarRewriterTest {
    private static final String VOLUME = "dtr-registry-0123456789ab";
    private static final String MOUNTPOINT = "/var/lib/docker/volumes/" + VOLUME + "/_data";
    private static final String DATA = "var/lib/docker/volumes/" + VOLUME + "/_data/";
    private static final Instant CREATED = Instant.parse("2024-05-06T07:08:09Z");
    private static final String BLOB_DIGEST = "ab" + "0".repeat(62);
    private static final String LONG_DIR = "team-" + "a".repeat(110) + "/image-" + "b".repeat(120);
    private static final String UNICODE = "ünïcødé-репо/образ-ñ";

    @Test
    void mapsArchiveNamesToTheSeedsMemberNames() throws IOException {
        VolumeTarRewriter r = new VolumeTarRewriter("storage", MOUNTPOINT, CREATED);
        assertThat(r.volumeFolderEntry()).isEqualTo("var/lib/docker/volumes/" + VOLUME + "/");
        assertThat(r.mapName("storage/", true)).isEqualTo(DATA);
        assertThat(r.mapName("storage", true)).isEqualTo(DATA);
        assertThat(r.mapName("storage/docker/", true)).isEqualTo(DATA + "docker/");
        assertThat(r.mapName("storage/docker/x/data", false)).isEqualTo(DATA + "docker/x/data");
        assertThat(r.mapName("./storage/a", false)).isEqualTo(DATA + "a");
        assertThatThrownBy(() -> r.mapName("other/a", false)).hasMessageContaining("unexpected entry");
        assertThatThrownBy(() -> r.mapName("storagex/a", false)).hasMessageContaining("unexpected entry");
        // Another data root: the names follow the Mountpoint the engine reports.
        VolumeTarRewriter other = new VolumeTarRewriter("storage", "/data/docker/volumes/v/_data/", null);
        assertThat(other.volumeFolderEntry()).isEqualTo("data/docker/volumes/v/");
        assertThat(other.mapName("storage/f", false)).isEqualTo("data/docker/volumes/v/_data/f");
        assertThatThrownBy(() -> new VolumeTarRewriter("a/b", MOUNTPOINT, null)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new VolumeTarRewriter("storage", "/_data", null)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void recognisesBlobs() {
        assertThat(VolumeTarRewriter.isBlob("docker/registry/v2/blobs/sha256/ab/" + BLOB_DIGEST + "/data")).isTrue();
        assertThat(VolumeTarRewriter.isBlob("docker/registry/v2/blobs/sha256/ab/" + BLOB_DIGEST + "/link")).isFalse();
        assertThat(VolumeTarRewriter.isBlob("docker/registry/v2/blobs/sha256/ab/" + BLOB_DIGEST.substring(1) + "/data"))
                .isFalse();
        assertThat(VolumeTarRewriter.isBlob("docker/registry/v2/repositories/x/_layers/sha256/" + BLOB_DIGEST + "/data"))
                .isFalse();
    }

    @Test
    void keepsEveryHeaderAndByteAndGnuTarExtractsIt(@TempDir Path tmp) throws Exception {
        byte[] big = new byte[3 * 1024 * 1024 + 17];
        new Random(7).nextBytes(big);
        byte[] engineTar = engineStyleTar(big);

        VolumeTarRewriter rewriter = new VolumeTarRewriter("storage", MOUNTPOINT, CREATED);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        TarListing listing = new TarListing();
        List<Long> progress = new ArrayList<>();
        VolumeTarRewriter.Result result = rewriter.rewrite(new ByteArrayInputStream(engineTar), out, listing,
                (entries, files) -> progress.add(entries));

        // Read back with Commons Compress: names, kinds and attributes.
        List<TarArchiveEntry> entries = new ArrayList<>();
        List<String> names = new ArrayList<>();
        byte[] bigBack = null;
        try (TarArchiveInputStream in = new TarArchiveInputStream(new ByteArrayInputStream(out.toByteArray()),
                StandardCharsets.UTF_8.name())) {
            for (TarArchiveEntry e = in.getNextEntry(); e != null; e = in.getNextEntry()) {
                entries.add(e);
                names.add(e.getName());
                if (e.getName().endsWith("/big")) {
                    bigBack = in.readAllBytes();
                }
                assertThat(e.getExtraPaxHeaders()).as("extra PAX headers of " + e.getName())
                        .doesNotContainKeys("LIBARCHIVE.creationtime", "atime", "ctime");
            }
        }
        String blobPath = DATA + "docker/registry/v2/blobs/sha256/ab/" + BLOB_DIGEST + "/data";
        assertThat(names).containsExactly(
                "var/lib/docker/volumes/" + VOLUME + "/",
                DATA,
                DATA + "docker/",
                DATA + "docker/registry/v2/blobs/sha256/ab/" + BLOB_DIGEST + "/",
                blobPath,
                DATA + "empty/",
                DATA + LONG_DIR + "/",
                DATA + LONG_DIR + "/big",
                DATA + UNICODE + "/",
                DATA + UNICODE + "/файл",
                DATA + "hard",
                DATA + "link");
        assertThat(bigBack).isEqualTo(big);
        // Permission bits only in the mode field, as GNU tar writes it; the type flag says "folder".
        assertThat(entries.get(0).getMode()).isEqualTo(0701);
        assertThat(entries.get(0).isDirectory()).isTrue();
        assertThat(entries.get(0).getModTime().toInstant()).isEqualTo(CREATED);
        TarArchiveEntry blob = entries.get(4);
        assertThat(blob.getMode() & 07777).isEqualTo(0640);
        assertThat(blob.getModTime().toInstant()).isEqualTo(Instant.ofEpochSecond(1_700_000_123L));
        assertThat(blob.getLongUserId()).isEqualTo(1234);
        assertThat(blob.getLongGroupId()).isEqualTo(5678);
        assertThat(entries.get(10).isLink()).isTrue();
        assertThat(entries.get(10).getLinkName()).isEqualTo(blobPath);
        assertThat(entries.get(11).isSymbolicLink()).isTrue();
        assertThat(entries.get(11).getLinkName()).isEqualTo("docker/registry");

        assertThat(result.entryCount()).isEqualTo(12);
        assertThat(result.fileCount()).isEqualTo(3);
        assertThat(result.blobCount()).isEqualTo(1);
        assertThat(result.contentBytes()).isEqualTo(big.length + 5 + 6);
        assertThat(progress).hasSize(11);
        TarListing expected = new TarListing();
        names.forEach(expected::add);
        assertThat(result.listingSha256()).isEqualTo(expected.sha256());

        // GNU tar: lists the same names without a warning and restores bytes, modes and mtimes.
        Path tar = tmp.resolve("images.tar");
        Files.write(tar, out.toByteArray());
        Run list = run(tmp, "tar", "--quoting-style=literal", "-tf", tar.toString());
        assertThat(list.stderr).isEmpty();
        assertThat(list.stdout.lines().toList()).isEqualTo(names);
        Path root = Files.createDirectory(tmp.resolve("root"));
        Run extract = run(tmp, "tar", "-xpf", tar.toString(), "-C", root.toString());
        assertThat(extract.stderr).isEmpty();
        Path data = root.resolve(DATA);
        assertThat(Files.readAllBytes(data.resolve(LONG_DIR + "/big"))).isEqualTo(big);
        assertThat(Files.readString(data.resolve(UNICODE + "/файл"))).isEqualTo("hello!");
        Path blobFile = root.resolve(blobPath);
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(blobFile))).isEqualTo("rw-r-----");
        assertThat(Files.getLastModifiedTime(blobFile).toInstant()).isEqualTo(Instant.ofEpochSecond(1_700_000_123L));
        assertThat(Files.isDirectory(data.resolve("empty"))).isTrue();
        assertThat(Files.readSymbolicLink(data.resolve("link")).toString()).isEqualTo("docker/registry");
        assertThat(Files.readString(data.resolve("hard"))).isEqualTo("blob!");
        assertThat(Files.getLastModifiedTime(data.resolve("empty"), LinkOption.NOFOLLOW_LINKS).toInstant())
                .isEqualTo(Instant.ofEpochSecond(1_600_000_000L));
        assertThat(sha256(Files.readAllBytes(blobFile))).isEqualTo(sha256("blob!".getBytes(StandardCharsets.UTF_8)));
    }

    @Test
    void aTruncatedEngineArchiveFails() throws Exception {
        byte[] big = new byte[200_000];
        byte[] engineTar = engineStyleTar(big);
        byte[] cut = Arrays.copyOf(engineTar, 100_000);
        VolumeTarRewriter rewriter = new VolumeTarRewriter("storage", MOUNTPOINT, CREATED);
        assertThatThrownBy(() -> rewriter.rewrite(new ByteArrayInputStream(cut), new ByteArrayOutputStream(),
                new TarListing(), (e, f) -> { })).isInstanceOf(IOException.class);
        assertThatThrownBy(() -> rewriter.rewrite(InputStream.nullInputStream(), new ByteArrayOutputStream(),
                new TarListing(), (e, f) -> { })).hasMessageContaining("empty");
    }

    /** A tar shaped like the engine's archive endpoint's: PAX format, names below storage/. */
    static byte[] engineStyleTar(byte[] big) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (TarArchiveOutputStream tar = new TarArchiveOutputStream(bytes, StandardCharsets.UTF_8.name())) {
            tar.setLongFileMode(TarArchiveOutputStream.LONGFILE_POSIX);
            tar.setBigNumberMode(TarArchiveOutputStream.BIGNUMBER_POSIX);
            tar.setAddPaxHeadersForNonAsciiNames(true);
            dir(tar, "storage/", 0755, 1_600_000_001L);
            dir(tar, "storage/docker/", 0755, 1_600_000_002L);
            dir(tar, "storage/docker/registry/v2/blobs/sha256/ab/" + BLOB_DIGEST + "/", 0755, 1_600_000_003L);
            file(tar, "storage/docker/registry/v2/blobs/sha256/ab/" + BLOB_DIGEST + "/data", 0640, 1_700_000_123L,
                    "blob!".getBytes(StandardCharsets.UTF_8));
            dir(tar, "storage/empty/", 0700, 1_600_000_000L);
            dir(tar, "storage/" + LONG_DIR + "/", 0755, 1_600_000_004L);
            file(tar, "storage/" + LONG_DIR + "/big", 0644, 1_650_000_000L, big);
            dir(tar, "storage/" + UNICODE + "/", 0755, 1_600_000_005L);
            file(tar, "storage/" + UNICODE + "/файл", 0600, 1_650_000_001L, "hello!".getBytes(StandardCharsets.UTF_8));
            TarArchiveEntry hard = new TarArchiveEntry("storage/hard", TarConstants.LF_LINK);
            hard.setLinkName("storage/docker/registry/v2/blobs/sha256/ab/" + BLOB_DIGEST + "/data");
            hard.setMode(0100640);
            hard.setModTime(1_700_000_123_000L);
            tar.putArchiveEntry(hard);
            tar.closeArchiveEntry();
            TarArchiveEntry link = new TarArchiveEntry("storage/link", TarConstants.LF_SYMLINK);
            link.setLinkName("docker/registry");
            link.setMode(0120777);
            link.setModTime(1_650_000_002_000L);
            tar.putArchiveEntry(link);
            tar.closeArchiveEntry();
        }
        return bytes.toByteArray();
    }

    private static void dir(TarArchiveOutputStream tar, String name, int mode, long mtime) throws IOException {
        TarArchiveEntry e = new TarArchiveEntry(name, TarConstants.LF_DIR);
        e.setMode(040000 | mode);
        e.setModTime(mtime * 1000);
        tar.putArchiveEntry(e);
        tar.closeArchiveEntry();
    }

    private static void file(TarArchiveOutputStream tar, String name, int mode, long mtime, byte[] data)
            throws IOException {
        TarArchiveEntry e = new TarArchiveEntry(name, TarConstants.LF_NORMAL);
        e.setMode(0100000 | mode);
        e.setModTime(mtime * 1000);
        e.setSize(data.length);
        e.setIds(1234, 5678);
        tar.putArchiveEntry(e);
        tar.write(data);
        tar.closeArchiveEntry();
    }

    record Run(String stdout, String stderr) {
    }

    static Run run(Path dir, String... command) throws Exception {
        Path err = Files.createTempFile(dir, "err", ".txt");
        Process p = new ProcessBuilder(command).directory(dir.toFile()).redirectError(err.toFile()).start();
        String stdout = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        int code = p.waitFor();
        String stderr = Files.readString(err);
        assertThat(code).as(String.join(" ", command) + ": " + stderr).isZero();
        return new Run(stdout, stderr);
    }

    static String sha256(byte[] b) throws Exception {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(b));
    }
}
