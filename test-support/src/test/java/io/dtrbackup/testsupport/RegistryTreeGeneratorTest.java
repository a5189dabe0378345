package io.dtrbackup.testsupport;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HexFormat;
import java.util.List;

import io.dtrbackup.testsupport.RegistryTreeGenerator.Kind;
import io.dtrbackup.testsupport.RegistryTreeGenerator.TreeEntry;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RegistryTreeGeneratorTest {

    @Test
    void sameSeedSameTarDifferentSeedDifferentTree() throws IOException {
        byte[] a = tar(RegistryTreeSpec.small(7));
        byte[] b = tar(RegistryTreeSpec.small(7));
        assertThat(a).isEqualTo(b);
        assertThat(new RegistryTreeGenerator(RegistryTreeSpec.small(8)).blobDigests())
                .isNotEqualTo(new RegistryTreeGenerator(RegistryTreeSpec.small(7)).blobDigests());
    }

    @Test
    void blobDigestsAreTheRealSha256OfData() throws IOException {
        RegistryTreeGenerator gen = new RegistryTreeGenerator(RegistryTreeSpec.small(3));
        List<TreeEntry> read = RegistryTreeGenerator.readTar(new ByteArrayInputStream(tar(gen.spec())), "");
        List<TreeEntry> blobs = read.stream().filter(e -> e.path().startsWith("docker/registry/v2/blobs/sha256/")
                && e.path().endsWith("/data")).toList();
        assertThat(blobs).hasSize(gen.blobDigests().size()).isNotEmpty();
        for (TreeEntry blob : blobs) {
            String[] parts = blob.path().split("/");
            String digest = parts[parts.length - 2];
            assertThat(blob.sha256()).isEqualTo(digest);
            assertThat(parts[parts.length - 3]).isEqualTo(digest.substring(0, 2));
        }
    }

    @Test
    void tarReadsBackAsTheExpectedEntriesIncludingOddNames() throws IOException {
        RegistryTreeGenerator gen = new RegistryTreeGenerator(RegistryTreeSpec.small(5));
        List<TreeEntry> read = RegistryTreeGenerator.readTar(new ByteArrayInputStream(tar(gen.spec())), "");
        assertThat(read).containsExactlyElementsOf(gen.comparableEntries());
        assertThat(read).anyMatch(e -> e.path().contains("ünïcødé-репо"));
        assertThat(read).anyMatch(e -> e.path().getBytes(StandardCharsets.UTF_8).length > 255
                && List.of(e.path().split("/")).stream().anyMatch(c -> c.length() > 100));
        assertThat(read).anyMatch(e -> e.kind() == Kind.SYMLINK && e.linkTarget().equals("app-0"));
        assertThat(read).anyMatch(e -> e.path().endsWith("_uploads") && e.mode() == 0700);
        assertThat(read.stream().map(TreeEntry::mode).distinct().count()).isGreaterThan(3);
        assertThat(read).anyMatch(e -> e.path().endsWith("/_manifests/tags/latest/current/link"));
        assertThat(read).anyMatch(e -> e.path().contains("/_layers/sha256/"));
        assertThat(read).anyMatch(e -> e.path().contains("/_manifests/revisions/sha256/"));
    }

    @Test
    void linkFilesPointAtStoredBlobs() throws IOException {
        RegistryTreeGenerator gen = new RegistryTreeGenerator(RegistryTreeSpec.small(9));
        Path dir = Files.createTempDirectory("tree-");
        try {
            gen.generateTo(dir);
            try (var walk = Files.walk(dir)) {
                for (Path link : walk.filter(p -> p.getFileName().toString().equals("link")).toList()) {
                    String digest = Files.readString(link).substring("sha256:".length());
                    assertThat(dir.resolve("docker/registry/v2/blobs/sha256/" + digest.substring(0, 2) + "/" + digest + "/data"))
                            .exists();
                }
            }
        } finally {
            EmbeddedKafka.deleteRecursively(dir);
        }
    }

    @Test
    void generateToMatchesTheTar(@TempDir Path dir) throws IOException {
        RegistryTreeGenerator gen = new RegistryTreeGenerator(RegistryTreeSpec.small(11).withLargeBlobs(1, 3_000_000));
        gen.generateTo(dir);
        for (TreeEntry e : gen.entries()) {
            Path p = dir.resolve(e.path());
            switch (e.kind()) {
                case DIRECTORY -> assertThat(p).isDirectory();
                case SYMLINK -> assertThat(Files.readSymbolicLink(p).toString()).isEqualTo(e.linkTarget());
                default -> {
                    assertThat(Files.size(p)).isEqualTo(e.size());
                    assertThat(HexFormat.of().formatHex(RegistryTreeGenerator.sha256().digest(Files.readAllBytes(p))))
                            .isEqualTo(e.sha256());
                    assertThat(Files.getLastModifiedTime(p).toMillis() / 1000).isEqualTo(e.mtimeEpochSecond());
                }
            }
        }
        assertThat(gen.totalBytes()).isGreaterThan(3_000_000);
    }

    private static byte[] tar(RegistryTreeSpec spec) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        new RegistryTreeGenerator(spec).writeTar(out);
        return out.toByteArray();
    }
}
