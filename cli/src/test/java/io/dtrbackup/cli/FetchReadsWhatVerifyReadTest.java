package io.dtrbackup.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.dtrbackup.common.crypto.OpenPgpDecryptor;
import io.dtrbackup.common.crypto.OpenPgpEncryptor;
import io.dtrbackup.common.crypto.PassphraseStore;
import io.dtrbackup.contract.events.ArtifactKind;
import io.dtrbackup.contract.layout.BackupLayout;
import io.dtrbackup.common.store.InMemoryObjectStore;
import io.dtrbackup.testsupport.DtrMetadataTar;
import io.dtrbackup.verify.ArtifactVerifier;
import io.dtrbackup.verify.Expectation;
import io.dtrbackup.verify.VerificationResult;
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
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * One stored object, decrypted by verify-service's {@link ArtifactVerifier} and by {@code fetch}'s
 * {@link Fetcher}: both must read the same plaintext, on the fast path and on the fallback.
 */
class FetchReadsWhatVerifyReadTest {
    static final String CLUSTER = "prod-eu-1";
    static final String BACKUP = "bk-20261125T020000Z-0badcafe";
    static final String NAME = "dtr-metadata-backup-20261125-02_00_00.tar";
    static final char[] PASS = "correct horse battery staple".toCharArray();

    @TempDir
    Path out;

    final InMemoryObjectStore store = new InMemoryObjectStore();
    final BackupLayout layout = new BackupLayout("staging", "backups");

    private static String sha256(byte[] bytes) throws Exception {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
    }

    @ParameterizedTest
    @EnumSource(OpenPgpEncryptor.Compression.class)
    void verifyAndFetchDecryptTheSameObjectToTheSamePlaintext(OpenPgpEncryptor.Compression compression) throws Exception {
        byte[] plaintext = DtrMetadataTar.bytes("2.9.4", true, false, false, 0);
        OpenPgpEncryptor encryptor = new OpenPgpEncryptor(new OpenPgpEncryptor.Settings(
                OpenPgpEncryptor.S2kDigest.SHA256, OpenPgpEncryptor.MIN_S2K_COUNT_BYTE, compression,
                OpenPgpEncryptor.DEFAULT_BUFFER_SIZE));
        ByteArrayOutputStream encrypted = new ByteArrayOutputStream();
        try (OutputStream o = encryptor.open(encrypted, PASS, NAME, Instant.now())) {
            o.write(plaintext);
        }
        byte[] ciphertext = encrypted.toByteArray();
        String objectKey = layout.encryptedKey(CLUSTER, BACKUP, NAME);
        store.ensureBucket("backups");
        store.put("backups", objectKey, new ByteArrayInputStream(ciphertext), ciphertext.length, Map.of(),
                "application/octet-stream");

        // verify-service's path
        ArtifactVerifier verifier = new ArtifactVerifier(store, "backups", id -> PASS.clone(), List.of(), true);
        VerificationResult verified = verifier.verify(BACKUP, CLUSTER, new Expectation(ArtifactKind.METADATA, objectKey,
                "key-1", ciphertext.length, sha256(ciphertext), plaintext.length, sha256(plaintext), 0, null, "2.9.4",
                null, null), false, n -> { });
        assertThat(verified.method()).isEqualTo(compression == OpenPgpEncryptor.Compression.NONE
                ? OpenPgpDecryptor.FAST_METHOD : OpenPgpDecryptor.STANDARD_METHOD);
        assertThat(verified.plaintextSha256()).isEqualTo(sha256(plaintext));

        // fetch's path, checking against what verification recorded (as the manifest does)
        String json = """
                {"formatVersion": 1, "backupId": "%s", "clusterId": "%s", "dtrVersion": "2.9.4",
                 "artifacts": [{"kind": "METADATA", "artifactName": "%s", "objectKey": "%s", "keyId": "key-1",
                                "plaintextSha256": "%s", "plaintextSize": %d}]}
                """.formatted(BACKUP, CLUSTER, NAME, objectKey, verified.plaintextSha256(), verified.plaintextSize());
        ManifestView manifest = ManifestView.parse(layout.manifestKey(CLUSTER, BACKUP),
                new ByteArrayInputStream(json.getBytes(StandardCharsets.UTF_8)));
        List<Fetcher.Fetched> fetched = new Fetcher(store, layout, PassphraseStore.of("key-1", Map.of("key-1", PASS)))
                .fetch(manifest, out, false, (k, n, e) -> b -> { });

        byte[] restored = Files.readAllBytes(out.resolve(NAME));
        assertThat(fetched).singleElement().satisfies(f -> {
            assertThat(f.sha256()).isEqualTo(verified.plaintextSha256());
            assertThat(f.size()).isEqualTo(verified.plaintextSize());
        });
        assertThat(sha256(restored)).isEqualTo(verified.plaintextSha256());
        assertThat(restored).isEqualTo(plaintext);
    }
}
