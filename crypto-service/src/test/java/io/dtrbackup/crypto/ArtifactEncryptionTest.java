package io.dtrbackup.crypto;

import static org.assertj.core.api.Assertions.assertThat;

import io.dtrbackup.common.crypto.DecryptedStream;
import io.dtrbackup.common.crypto.OpenPgpDecryptor;
import io.dtrbackup.common.crypto.OpenPgpEncryptor;
import io.dtrbackup.common.crypto.PassphraseStore;
import io.dtrbackup.contract.events.ArtifactEncrypted;
import io.dtrbackup.contract.events.ArtifactKind;
import io.dtrbackup.contract.events.ArtifactStaged;
import io.dtrbackup.contract.events.EventCodec;
import io.dtrbackup.contract.layout.BackupLayout;
import io.dtrbackup.common.store.InMemoryObjectStore;
import io.dtrbackup.common.store.ObjectInfo;
import io.dtrbackup.common.store.ObjectStore;
import io.dtrbackup.common.store.ObjectStoreException;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Given a staged artifact, when it is encrypted, then the backup bucket, the record and the outcome say so. */
class ArtifactEncryptionTest {
    private static final String PASSPHRASE = "unit-test-passphrase-7f3a";
    private final BackupLayout layout = new BackupLayout("staging", "backups");
    private final InMemoryObjectStore store = new InMemoryObjectStore();
    private final PassphraseStore passphrases = PassphraseStore.of("k1", Map.of("k1", PASSPHRASE.toCharArray()));
    private final ExecutorService threads = Executors.newCachedThreadPool();
    // A low S2K count keeps the unit tests fast; the service default is 255.
    private final OpenPgpEncryptor encryptor = new OpenPgpEncryptor(new OpenPgpEncryptor.Settings(
            OpenPgpEncryptor.S2kDigest.SHA256, 0x60, OpenPgpEncryptor.Compression.NONE, 1 << 16));

    @AfterEach
    void stop() {
        threads.shutdownNow();
    }

    private ArtifactEncryption encryption(ObjectStore s) {
        return new ArtifactEncryption(new ArtifactEncryption.Settings(layout, 4 << 20, 3, Duration.ofMillis(10)), s,
                passphrases, encryptor, threads, Clock.systemUTC());
    }

    private byte[] decrypt(byte[] ciphertext) throws IOException {
        try (DecryptedStream in = OpenPgpDecryptor.open(new ByteArrayInputStream(ciphertext), passphrases, "k1")) {
            return in.readAllBytes();
        }
    }

    @Test
    void encryptsRecordsThenDeletesTheStagingCopy() throws Exception {
        byte[] plain = TestArtifacts.random(3_000_000, 1);
        ArtifactStaged staged = TestArtifacts.stage(store, layout, "b-1", ArtifactKind.IMAGES, plain);
        AtomicLong progress = new AtomicLong();

        ArtifactEncryption.Outcome outcome = encryption(store).encrypt(staged, progress::set);

        assertThat(outcome).isInstanceOf(ArtifactEncryption.Outcome.Encrypted.class);
        ArtifactEncrypted event = ((ArtifactEncryption.Outcome.Encrypted) outcome).event();
        String key = "prod-east/b-1/dtr-image-backup-20261125-02_00_00.tar.gpg";
        assertThat(event.objectKey()).isEqualTo(key);
        byte[] ciphertext = store.bytes("backups", key);
        assertThat(decrypt(ciphertext)).isEqualTo(plain);
        assertThat(event.ciphertextSize()).isEqualTo(ciphertext.length);
        assertThat(event.ciphertextSha256()).isEqualTo(TestArtifacts.sha256(ciphertext));
        assertThat(event.plaintextSize()).isEqualTo(plain.length);
        assertThat(event.plaintextSha256()).isEqualTo(staged.sha256());
        assertThat(event.keyId()).isEqualTo("k1");
        assertThat(event.eventId()).isEqualTo("b-1:ArtifactEncrypted:images");
        assertThat(event.encryption()).isEqualTo(encryptor.parameters());
        assertThat(event.formatVersion()).isEqualTo(ArtifactEncryption.FORMAT_VERSION);
        assertThat(event.entryCount()).isEqualTo(42);
        assertThat(event.blobCount()).isEqualTo(7L);
        assertThat(event.listingSha256()).isEqualTo(TestArtifacts.LISTING);
        assertThat(progress.get()).isEqualTo(plain.length);

        ObjectInfo info = store.stat("backups", key).orElseThrow();
        assertThat(info.userMetadata()).containsEntry("key-id", "k1").containsEntry("backup-id", "b-1")
                .containsEntry("kind", "images").containsEntry("plaintext-sha256", staged.sha256())
                .containsEntry("plaintext-size", String.valueOf(plain.length)).containsEntry("format-version", "1")
                .containsEntry("cipher", "AES-256").containsEntry("s2k-digest", "SHA-256");
        assertThat(info.userMetadata().values()).noneMatch(v -> v.contains(PASSPHRASE));

        byte[] record = store.bytes("backups", key + ".json");
        assertThat(EventCodec.decode(record, ArtifactEncrypted.class)).isEqualTo(event);
        assertThat(new String(record, StandardCharsets.UTF_8)).doesNotContain(PASSPHRASE);
        assertThat(store.keys("staging")).isEmpty();
        assertThat(store.keys("backups")).containsExactlyInAnyOrder(key, key + ".json");
    }

    @Test
    void aTamperedStagingObjectIsRefusedAndNoBackupObjectWritten() {
        byte[] plain = TestArtifacts.random(2_000_000, 2);
        ArtifactStaged staged = TestArtifacts.stage(store, layout, "b-2", ArtifactKind.METADATA, plain);
        byte[] tampered = plain.clone();
        tampered[1_000_000] ^= 1;
        store.put("staging", staged.stagingKey(), new ByteArrayInputStream(tampered), tampered.length, Map.of(), null);

        ArtifactEncryption.Outcome outcome = encryption(store).encrypt(staged, n -> { });

        assertThat(outcome).isInstanceOf(ArtifactEncryption.Outcome.Failed.class);
        assertThat(((ArtifactEncryption.Outcome.Failed) outcome).reason()).contains("does not match")
                .contains(staged.sha256()).contains("no backup object");
        assertThat(store.keys("backups")).isEmpty();
        assertThat(store.keys("staging")).contains(staged.stagingKey());
    }

    @Test
    void aLongerStagingObjectIsRefused() {
        byte[] plain = TestArtifacts.random(100_000, 3);
        ArtifactStaged staged = TestArtifacts.stage(store, layout, "b-3", ArtifactKind.METADATA, plain);
        byte[] longer = java.util.Arrays.copyOf(plain, plain.length + 1);
        store.put("staging", staged.stagingKey(), new ByteArrayInputStream(longer), longer.length, Map.of(), null);

        assertThat(encryption(store).encrypt(staged, n -> { }))
                .isInstanceOfSatisfying(ArtifactEncryption.Outcome.Failed.class,
                        f -> assertThat(f.reason()).contains("larger than"));
        assertThat(store.keys("backups")).isEmpty();
    }

    @Test
    void aMissingStagingObjectWithoutRecordFails() {
        store.ensureBucket("staging");
        store.ensureBucket("backups");
        ArtifactStaged staged = TestArtifacts.event(layout, "b-4", ArtifactKind.IMAGES, 10, "b".repeat(64));

        assertThat(encryption(store).encrypt(staged, n -> { }))
                .isInstanceOfSatisfying(ArtifactEncryption.Outcome.Failed.class,
                        f -> assertThat(f.reason()).contains("is missing").contains("re-run the backup"));
    }

    @Test
    void aRedeliveryWithARecordRepublishesAndDeletesALeftoverStagingCopy() {
        byte[] plain = TestArtifacts.random(500_000, 5);
        ArtifactStaged staged = TestArtifacts.stage(store, layout, "b-5", ArtifactKind.IMAGES, plain);
        ArtifactEncrypted first = ((ArtifactEncryption.Outcome.Encrypted) encryption(store).encrypt(staged, n -> { }))
                .event();
        byte[] ciphertext = store.bytes("backups", first.objectKey());
        // a crash after the record but before the staging delete leaves the plaintext behind
        store.put("staging", staged.stagingKey(), new ByteArrayInputStream(plain), plain.length, Map.of(), null);

        ArtifactEncryption.Outcome again = encryption(store).encrypt(staged, n -> { });

        assertThat(again).isEqualTo(new ArtifactEncryption.Outcome.Encrypted(first, true));
        assertThat(store.bytes("backups", first.objectKey())).isEqualTo(ciphertext); // not re-encrypted
        assertThat(store.keys("staging")).isEmpty();
    }

    @Test
    void aCiphertextWithoutRecordIsEncryptedAgain() throws IOException {
        byte[] plain = TestArtifacts.random(500_000, 6);
        ArtifactStaged staged = TestArtifacts.stage(store, layout, "b-6", ArtifactKind.METADATA, plain);
        String key = layout.encryptedKey(staged.clusterId(), staged.backupId(), staged.artifactName());
        store.put("backups", key, new ByteArrayInputStream(new byte[] {1, 2, 3}), 3, Map.of(), null);

        ArtifactEncryption.Outcome outcome = encryption(store).encrypt(staged, n -> { });

        assertThat(outcome).isInstanceOfSatisfying(ArtifactEncryption.Outcome.Encrypted.class,
                e -> assertThat(e.alreadyDone()).isFalse());
        assertThat(decrypt(store.bytes("backups", key))).isEqualTo(plain);
        assertThat(store.keys("backups")).containsExactlyInAnyOrder(key, key + ".json");
    }

    @Test
    void transientUploadFailuresAreRetriedWholeThenSucceed() throws IOException {
        byte[] plain = TestArtifacts.random(800_000, 7);
        ArtifactStaged staged = TestArtifacts.stage(store, layout, "b-7", ArtifactKind.IMAGES, plain);
        FlakyPuts flaky = new FlakyPuts(store, 2);

        ArtifactEncryption.Outcome outcome = encryption(flaky).encrypt(staged, n -> { });

        assertThat(outcome).isInstanceOf(ArtifactEncryption.Outcome.Encrypted.class);
        assertThat(flaky.failedPuts.get()).isEqualTo(2);
        ArtifactEncrypted event = ((ArtifactEncryption.Outcome.Encrypted) outcome).event();
        assertThat(decrypt(store.bytes("backups", event.objectKey()))).isEqualTo(plain);
    }

    @Test
    void transientFailuresBeyondTheBoundFailTheArtifactAndKeepStaging() {
        byte[] plain = TestArtifacts.random(100_000, 8);
        ArtifactStaged staged = TestArtifacts.stage(store, layout, "b-8", ArtifactKind.IMAGES, plain);
        FlakyPuts flaky = new FlakyPuts(store, 100);

        ArtifactEncryption.Outcome outcome = encryption(flaky).encrypt(staged, n -> { });

        assertThat(outcome).isInstanceOfSatisfying(ArtifactEncryption.Outcome.Failed.class,
                f -> assertThat(f.reason()).contains("failed 3 times").contains("staging copy is kept"));
        assertThat(flaky.failedPuts.get()).isEqualTo(3);
        assertThat(store.keys("backups")).isEmpty();
        assertThat(store.keys("staging")).contains(staged.stagingKey());
    }

    @Test
    void anUnavailableStoreFailsAfterTheBound() {
        byte[] plain = TestArtifacts.random(1000, 9);
        ArtifactStaged staged = TestArtifacts.stage(store, layout, "b-9", ArtifactKind.IMAGES, plain);
        store.setUnavailable(true);
        assertThat(encryption(store).encrypt(staged, n -> { }))
                .isInstanceOfSatisfying(ArtifactEncryption.Outcome.Failed.class,
                        f -> assertThat(f.reason()).contains("unavailable"));
    }

    /** Fails the first {@code failures} ciphertext uploads transiently, after reading part of the stream. */
    private static final class FlakyPuts implements ObjectStore {
        private final ObjectStore delegate;
        private final int failures;
        final AtomicInteger failedPuts = new AtomicInteger();

        FlakyPuts(ObjectStore delegate, int failures) {
            this.delegate = delegate;
            this.failures = failures;
        }

        @Override
        public ObjectInfo put(String bucket, String key, InputStream data, long size, Map<String, String> meta,
                String type) {
            if (key.endsWith(".gpg") && failedPuts.get() < failures) {
                failedPuts.incrementAndGet();
                try {
                    data.readNBytes(10_000);
                } catch (IOException e) {
                    throw new IllegalStateException(e);
                }
                throw new ObjectStoreException("S3 upload failed: SlowDown (test)", true, null);
            }
            return delegate.put(bucket, key, data, size, meta, type);
        }

        @Override
        public void ensureBucket(String bucket) {
            delegate.ensureBucket(bucket);
        }

        @Override
        public InputStream get(String bucket, String key) {
            return delegate.get(bucket, key);
        }

        @Override
        public InputStream get(String bucket, String key, long offset, long length) {
            return delegate.get(bucket, key, offset, length);
        }

        @Override
        public Optional<ObjectInfo> stat(String bucket, String key) {
            return delegate.stat(bucket, key);
        }

        @Override
        public List<ObjectInfo> list(String bucket, String prefix) {
            return delegate.list(bucket, prefix);
        }

        @Override
        public void remove(String bucket, String key) {
            delegate.remove(bucket, key);
        }
    }
}
