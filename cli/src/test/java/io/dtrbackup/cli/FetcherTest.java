package io.dtrbackup.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.dtrbackup.common.crypto.OpenPgpEncryptor;
import io.dtrbackup.common.crypto.PassphraseStore;
import io.dtrbackup.contract.layout.BackupLayout;
import io.dtrbackup.common.store.InMemoryObjectStore;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Instant;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class FetcherTest {
    static final String CLUSTER = "prod-eu-1";
    static final String BACKUP = "bk-20261125T020000Z-0badcafe";
    static final String NAME = "dtr-image-backup-20261125-02_00_00.tar";
    static final char[] PASS = "correct horse battery staple".toCharArray();

    @TempDir
    Path out;

    final InMemoryObjectStore store = new InMemoryObjectStore();
    final BackupLayout layout = new BackupLayout("staging", "backups");
    final PassphraseStore passphrases = PassphraseStore.of("key-1", Map.of("key-1", PASS));
    byte[] plaintext;
    byte[] ciphertext;
    String objectKey;

    @BeforeEach
    void storeOneEncryptedArtifact() throws Exception {
        plaintext = new byte[300_000];
        new Random(7).nextBytes(plaintext);
        // A tar is not needed: fetch checks the OpenPGP integrity and the SHA-256, not the content.
        ByteArrayOutputStream encrypted = new ByteArrayOutputStream();
        OpenPgpEncryptor encryptor = new OpenPgpEncryptor(new OpenPgpEncryptor.Settings(OpenPgpEncryptor.S2kDigest.parse("SHA256"),
                OpenPgpEncryptor.MIN_S2K_COUNT_BYTE, OpenPgpEncryptor.Compression.NONE, OpenPgpEncryptor.DEFAULT_BUFFER_SIZE));
        try (OutputStream o = encryptor.open(encrypted, PASS, NAME, Instant.now())) {
            o.write(plaintext);
        }
        ciphertext = encrypted.toByteArray();
        objectKey = layout.encryptedKey(CLUSTER, BACKUP, NAME);
        put(objectKey, ciphertext);
    }

    private void put(String key, byte[] bytes) {
        store.ensureBucket("backups");
        store.put("backups", key, new ByteArrayInputStream(bytes), bytes.length, Map.of(), "application/octet-stream");
    }

    private ManifestView manifest(String sha) throws Exception {
        String json = """
                {"formatVersion": 1, "backupId": "%s", "clusterId": "%s", "dtrVersion": "2.9.4", "someFutureField": {"x": 1},
                 "artifacts": [{"kind": "IMAGES", "artifactName": "%s", "objectKey": "%s", "keyId": "key-1",
                                "plaintextSha256": "%s", "plaintextSize": %d},
                               {"kind": "METADATA", "status": "SKIPPED"}]}
                """.formatted(BACKUP, CLUSTER, NAME, objectKey, sha, plaintext.length);
        return ManifestView.parse(layout.manifestKey(CLUSTER, BACKUP), new ByteArrayInputStream(json.getBytes(StandardCharsets.UTF_8)));
    }

    private static String sha256(byte[] bytes) throws Exception {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
    }

    private Fetcher fetcher() {
        return new Fetcher(store, layout, passphrases);
    }

    private List<Path> filesInOut() throws Exception {
        try (Stream<Path> s = Files.list(out)) {
            return s.toList();
        }
    }

    @Test
    void releasesTheOriginalTarByteForByte() throws Exception {
        var fetched = fetcher().fetch(manifest(sha256(plaintext)), out, false, (k, n, e) -> b -> { });
        assertThat(fetched).hasSize(1);
        assertThat(fetched.get(0).file()).isEqualTo(out.resolve(NAME));
        assertThat(Files.readAllBytes(out.resolve(NAME))).isEqualTo(plaintext);
        assertThat(filesInOut()).containsExactly(out.resolve(NAME));
        assertThat(Fetcher.restoreSteps(manifest(sha256(plaintext)), fetched))
                .anyMatch(l -> l.contains("tar -xf " + out.resolve(NAME) + " -C /"))
                .anyMatch(l -> l.startsWith("  1. Restore UCP first"));
    }

    @Test
    void aTamperedCiphertextReleasesNothing() throws Exception {
        byte[] bad = ciphertext.clone();
        bad[bad.length - 100] ^= 0x01; // inside the encrypted data: only the MDC can notice
        put(objectKey, bad);
        assertThatThrownBy(() -> fetcher().fetch(manifest(sha256(plaintext)), out, false, (k, n, e) -> b -> { }))
                .isInstanceOfSatisfying(CliException.class, e -> {
                    assertThat(e.exitCode()).isEqualTo(ExitCodes.INTEGRITY);
                    assertThat(e.getMessage()).contains("Nothing was written");
                });
        assertThat(filesInOut()).isEmpty();
    }

    @Test
    void aTruncatedCiphertextReleasesNothing() throws Exception {
        put(objectKey, java.util.Arrays.copyOf(ciphertext, ciphertext.length - 30));
        assertThatThrownBy(() -> fetcher().fetch(manifest(sha256(plaintext)), out, false, (k, n, e) -> b -> { }))
                .isInstanceOfSatisfying(CliException.class, e -> assertThat(e.exitCode()).isEqualTo(ExitCodes.INTEGRITY));
        assertThat(filesInOut()).isEmpty();
    }

    @Test
    void aShaMismatchWithTheManifestReleasesNothing() throws Exception {
        assertThatThrownBy(() -> fetcher().fetch(manifest("b".repeat(64)), out, false, (k, n, e) -> b -> { }))
                .isInstanceOfSatisfying(CliException.class, e -> {
                    assertThat(e.exitCode()).isEqualTo(ExitCodes.INTEGRITY);
                    assertThat(e.getMessage()).contains("the manifest says " + "b".repeat(64));
                });
        assertThat(filesInOut()).isEmpty();
    }

    @Test
    void theWrongPassphraseReleasesNothingAndSaysSo() throws Exception {
        Fetcher wrong = new Fetcher(store, layout, PassphraseStore.of("key-1", Map.of("key-1", "nope".toCharArray())));
        assertThatThrownBy(() -> wrong.fetch(manifest(sha256(plaintext)), out, false, (k, n, e) -> b -> { }))
                .isInstanceOfSatisfying(CliException.class, e -> assertThat(e.getMessage())
                        .contains("passphrase of key ID 'key-1' does not open it").doesNotContain("nope"));
        assertThat(filesInOut()).isEmpty();
    }

    @Test
    void anUnknownKeyIdSaysWhichFileIsMissing() throws Exception {
        Fetcher other = new Fetcher(store, layout, PassphraseStore.of("key-2", Map.of("key-2", PASS)));
        assertThatThrownBy(() -> other.fetch(manifest(sha256(plaintext)), out, false, (k, n, e) -> b -> { }))
                .hasMessageContaining("encrypted with key ID 'key-1'").hasMessageContaining("--passphrase-dir");
    }

    @Test
    void anExistingFileIsNotOverwrittenUnlessAsked() throws Exception {
        Files.writeString(out.resolve(NAME), "mine");
        assertThatThrownBy(() -> fetcher().fetch(manifest(sha256(plaintext)), out, false, (k, n, e) -> b -> { }))
                .hasMessageContaining("--overwrite");
        assertThat(Files.readString(out.resolve(NAME))).isEqualTo("mine");
        fetcher().fetch(manifest(sha256(plaintext)), out, true, (k, n, e) -> b -> { });
        assertThat(Files.readAllBytes(out.resolve(NAME))).isEqualTo(plaintext);
    }

    @Test
    void theManifestViewToleratesUnknownFieldsAndSkippedArtifacts() throws Exception {
        ManifestView m = manifest(sha256(plaintext));
        assertThat(m.backupId()).isEqualTo(BACKUP);
        assertThat(m.artifacts()).extracting(ManifestView.Artifact::kind).containsExactly("IMAGES", "METADATA");
        assertThat(m.artifacts().get(1).isStored()).isFalse();
        assertThat(m.artifacts().get(0).plaintextSize()).isEqualTo(plaintext.length);
    }
}
