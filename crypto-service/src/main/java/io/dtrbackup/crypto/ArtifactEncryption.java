package io.dtrbackup.crypto;

import io.dtrbackup.common.archive.BoundedPipe;
import io.dtrbackup.common.archive.DigestingInputStream;
import io.dtrbackup.common.crypto.OpenPgpEncryptor;
import io.dtrbackup.common.crypto.PassphraseStore;
import io.dtrbackup.common.events.ArtifactEncrypted;
import io.dtrbackup.common.events.ArtifactStaged;
import io.dtrbackup.common.events.BackupEvent;
import io.dtrbackup.common.events.EncryptionParameters;
import io.dtrbackup.common.events.EventCodec;
import io.dtrbackup.common.events.EventIds;
import io.dtrbackup.common.events.MalformedEventException;
import io.dtrbackup.common.store.BackupLayout;
import io.dtrbackup.common.store.ObjectStore;
import io.dtrbackup.common.store.ObjectStoreException;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.LongConsumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Encrypts one staged artifact into the backup bucket (blocking; one call per ArtifactStaged):
 * staging object -> plaintext check (size, SHA-256 against the event) -> OpenPGP encryptor ->
 * bounded pipe -> upload of unknown length, the ciphertext hashed on the upload thread. Then the
 * ArtifactEncrypted event is written as the encryption record, and only then the staging tar
 * is deleted.
 *
 * <p>Idempotent for redelivery: a record means the work is done (its event is returned again and
 * a leftover staging tar deleted); a ciphertext object without a record (a crash between upload
 * and record) is simply replaced. A failure in the middle never completes the upload, so no
 * partial backup object becomes visible.
 */
public final class ArtifactEncryption {
    private static final Logger LOG = LoggerFactory.getLogger(ArtifactEncryption.class);
    /** Version of what is stored per artifact: an OpenPGP message of the tar plus the JSON record. */
    public static final int FORMAT_VERSION = 1;
    public static final String CONTENT_TYPE = "application/pgp-encrypted";

    /** What became of one artifact. */
    public sealed interface Outcome {
        /** @param alreadyDone found an existing encryption record (a redelivery) */
        record Encrypted(ArtifactEncrypted event, boolean alreadyDone) implements Outcome {
        }

        record Failed(String reason) implements Outcome {
        }
    }

    public record Settings(BackupLayout layout, int pipeBytes, int maxAttempts, Duration firstRetryDelay) {
    }

    private final Settings settings;
    private final ObjectStore store;
    private final PassphraseStore passphrases;
    private final OpenPgpEncryptor encryptor;
    private final Executor encryptThreads;
    private final Clock clock;

    public ArtifactEncryption(Settings settings, ObjectStore store, PassphraseStore passphrases,
            OpenPgpEncryptor encryptor, Executor encryptThreads, Clock clock) {
        this.settings = settings;
        this.store = store;
        this.passphrases = passphrases;
        this.encryptor = encryptor;
        this.encryptThreads = encryptThreads;
        this.clock = clock;
    }

    /** Never throws: every problem becomes {@link Outcome.Failed} with a reason an operator can act on. */
    public Outcome encrypt(ArtifactStaged staged, LongConsumer progress) {
        int max = Math.max(1, settings.maxAttempts());
        for (int attempt = 1; ; attempt++) {
            try {
                return attempt(staged, progress);
            } catch (ObjectStoreException e) {
                if (!e.isTransient()) {
                    return failed("the object store refused a request: " + e.getMessage()
                            + "; check the buckets and the credentials' permissions, then re-run the backup");
                }
                if (attempt >= max) {
                    return failed("the object store failed " + attempt + " times (last: " + e.getMessage()
                            + "); the artifact was not encrypted and its staging copy is kept; check the object store, "
                            + "then re-run the backup");
                }
                long delay = settings.firstRetryDelay().toMillis() << (attempt - 1);
                LOG.warn("encrypting {} failed transiently, retry {} of {} in {} ms: {}", staged.artifactName(), attempt,
                        max - 1, delay, e.getMessage());
                if (!sleep(delay)) {
                    return failed("interrupted while waiting to retry after: " + e.getMessage());
                }
            } catch (RuntimeException e) {
                LOG.error("encrypting {} failed unexpectedly", staged.artifactName(), e);
                return failed("unexpected error while encrypting: " + e);
            }
        }
    }

    private Outcome attempt(ArtifactStaged staged, LongConsumer progress) {
        BackupLayout layout = settings.layout();
        String stagingBucket = layout.stagingBucket();
        String objectKey = layout.encryptedKey(staged.clusterId(), staged.backupId(), staged.artifactName());
        String recordKey = layout.encryptedRecordKey(staged.clusterId(), staged.backupId(), staged.artifactName());
        Optional<ArtifactEncrypted> record = readRecord(recordKey);
        if (record.isPresent()) {
            if (store.exists(stagingBucket, staged.stagingKey())) {
                store.remove(stagingBucket, staged.stagingKey());
                LOG.info("{} was already encrypted to {}; deleted the leftover staging copy {}", staged.artifactName(),
                        objectKey, staged.stagingKey());
            } else {
                LOG.info("{} was already encrypted to {}; publishing its event again", staged.artifactName(), objectKey);
            }
            return new Outcome.Encrypted(record.get(), true);
        }
        if (!store.exists(stagingBucket, staged.stagingKey())) {
            return failed("the staged object s3://" + stagingBucket + "/" + staged.stagingKey() + " is missing and "
                    + "there is no encryption record: it was deleted or never completed; re-run the backup");
        }
        if (store.exists(layout.backupBucket(), objectKey)) {
            LOG.info("{} exists without an encryption record (an earlier run stopped after its upload): encrypting "
                    + "again; the object is replaced", objectKey);
        }
        return upload(staged, objectKey, recordKey, progress);
    }

    private Outcome upload(ArtifactStaged staged, String objectKey, String recordKey, LongConsumer progress) {
        long t0 = System.nanoTime();
        String keyId = passphrases.activeKeyId();
        EncryptionParameters parameters = encryptor.parameters();
        BoundedPipe pipe = BoundedPipe.ofBytes(settings.pipeBytes());
        String what = "staged object s3://" + settings.layout().stagingBucket() + "/" + staged.stagingKey();
        CompletableFuture<Long> encrypting = CompletableFuture.supplyAsync(() -> {
            char[] passphrase = passphrases.activePassphrase();
            try (InputStream source = store.get(settings.layout().stagingBucket(), staged.stagingKey())) {
                CheckedPlaintextStream plaintext = new CheckedPlaintextStream(source, staged.sizeBytes(),
                        staged.sha256(), what, progress);
                OutputStream message = encryptor.open(pipe.sink(), passphrase, staged.artifactName(),
                        staged.occurredAt());
                Arrays.fill(passphrase, '\0');
                // Throws at the end on a mismatch, so the message is never finished and the sink never closed.
                plaintext.transferTo(message);
                message.close();
                return plaintext.bytesRead();
            } catch (IOException | RuntimeException e) {
                pipe.fail(e);
                throw new CompletionException(e);
            } finally {
                Arrays.fill(passphrase, '\0');
            }
        }, encryptThreads);
        DigestingInputStream ciphertext = new DigestingInputStream(pipe.source());
        try {
            store.put(settings.layout().backupBucket(), objectKey, ciphertext, -1, metadata(staged, keyId, parameters),
                    CONTENT_TYPE);
        } catch (RuntimeException e) {
            pipe.closeReader(); // stops the encrypting side if it is still writing
            Throwable cause = encryptingFailure(encrypting);
            if (cause instanceof PlaintextMismatchException mismatch) {
                return failed(mismatch.getMessage() + ": refused, no backup object was written and the staging copy "
                        + "is kept for inspection; re-run the backup to stage it again");
            }
            if (cause instanceof ObjectStoreException ose) {
                throw ose; // reading the staging object failed: transient or not, classified there
            }
            throw e;
        }
        long plaintextBytes;
        try {
            plaintextBytes = encrypting.get(1, TimeUnit.MINUTES);
        } catch (InterruptedException | ExecutionException | TimeoutException e) {
            // The upload saw EOF, which the sink sends only after a finished message: should not happen.
            store.remove(settings.layout().backupBucket(), objectKey);
            return failed("the encryption did not finish cleanly after the upload (" + e + "); the object was removed");
        }
        ArtifactEncrypted event = new ArtifactEncrypted(BackupEvent.CURRENT_SCHEMA_VERSION,
                EventIds.deterministic(staged.backupId(), "ArtifactEncrypted", staged.kind()), staged.backupId(),
                staged.clusterId(), Instant.now(clock), staged.kind(), staged.artifactName(), objectKey, keyId,
                plaintextBytes, staged.sha256(), ciphertext.bytesRead(), ciphertext.sha256(), staged.entryCount(),
                staged.listingSha256(), staged.blobCount(), staged.dtrVersion(), staged.topFolder(), parameters,
                FORMAT_VERSION, (System.nanoTime() - t0) / 1_000_000);
        byte[] json = EventCodec.encode(event);
        store.put(settings.layout().backupBucket(), recordKey, new ByteArrayInputStream(json), json.length,
                Map.of("backup-id", staged.backupId(), "kind", staged.kind().id()), "application/json");
        // Only now is the ciphertext complete and recorded: the plaintext copy can go.
        store.remove(settings.layout().stagingBucket(), staged.stagingKey());
        LOG.info("encrypted {} ({} bytes) to {} ({} bytes, key ID {}) in {} ms", staged.artifactName(), plaintextBytes,
                objectKey, ciphertext.bytesRead(), keyId, event.durationMs());
        return new Outcome.Encrypted(event, false);
    }

    /** User metadata of the ciphertext object: nothing secret, no ciphertext digest (unknown until the end). */
    static Map<String, String> metadata(ArtifactStaged staged, String keyId, EncryptionParameters p) {
        Map<String, String> m = new LinkedHashMap<>();
        m.put("backup-id", staged.backupId());
        m.put("cluster-id", staged.clusterId());
        m.put("kind", staged.kind().id());
        m.put("artifact-name", staged.artifactName());
        m.put("key-id", keyId);
        m.put("plaintext-sha256", staged.sha256());
        m.put("plaintext-size", String.valueOf(staged.sizeBytes()));
        m.put("format-version", String.valueOf(FORMAT_VERSION));
        m.put("packet-format", p.packetFormat());
        m.put("cipher", p.cipher());
        m.put("s2k", p.s2k());
        m.put("s2k-digest", p.s2kDigest());
        m.put("s2k-count-byte", String.valueOf(p.s2kCountByte()));
        m.put("integrity-protected", String.valueOf(p.integrityProtected()));
        m.put("compression", p.compression());
        return m;
    }

    private Optional<ArtifactEncrypted> readRecord(String recordKey) {
        if (!store.exists(settings.layout().backupBucket(), recordKey)) {
            return Optional.empty();
        }
        byte[] json;
        try (InputStream in = store.get(settings.layout().backupBucket(), recordKey)) {
            json = in.readAllBytes();
        } catch (IOException e) {
            throw new ObjectStoreException("reading " + recordKey + " failed: " + e.getMessage(), true, e);
        }
        try {
            return Optional.of(EventCodec.decode(json, ArtifactEncrypted.class));
        } catch (MalformedEventException e) {
            LOG.warn("the encryption record {} is unreadable ({}): encrypting again", recordKey, e.getMessage());
            return Optional.empty();
        }
    }

    private static Throwable encryptingFailure(CompletableFuture<Long> encrypting) {
        try {
            encrypting.get(1, TimeUnit.MINUTES);
            return null;
        } catch (ExecutionException e) {
            Throwable cause = e.getCause();
            return cause instanceof CompletionException ce && ce.getCause() != null ? ce.getCause() : cause;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return e;
        } catch (TimeoutException e) {
            return e;
        }
    }

    private static Outcome.Failed failed(String reason) {
        LOG.warn("artifact failed: {}", reason);
        return new Outcome.Failed(reason);
    }

    private static boolean sleep(long millis) {
        try {
            Thread.sleep(millis);
            return true;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }
}
