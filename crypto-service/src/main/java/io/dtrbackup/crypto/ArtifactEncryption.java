package io.dtrbackup.crypto;

import io.dtrbackup.common.archive.BoundedPipe;
import io.dtrbackup.common.archive.DigestingInputStream;
import io.dtrbackup.common.crypto.OpenPgpEncryptor;
import io.dtrbackup.common.crypto.PassphraseStore;
import io.dtrbackup.contract.events.ArtifactEncrypted;
import io.dtrbackup.contract.events.ArtifactKind;
import io.dtrbackup.contract.events.ArtifactStaged;
import io.dtrbackup.contract.events.BackupEvent;
import io.dtrbackup.contract.events.EncryptionParameters;
import io.dtrbackup.contract.events.EventCodec;
import io.dtrbackup.contract.events.EventIds;
import io.dtrbackup.contract.layout.BackupLayout;
import io.dtrbackup.common.store.FinishedWorkRecord;
import io.dtrbackup.common.store.ObjectStore;
import io.dtrbackup.common.store.ObjectStoreException;
import io.dtrbackup.common.util.Retry;
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
    /** Plaintext buffered between the reading thread and the encrypting one, per job. */
    private static final int PLAINTEXT_CHUNKS = 4;
    private static final int PLAINTEXT_CHUNK = 1 << 20;
    /** The wait between attempts doubles from {@code firstRetryDelay} without a cap of its own: attempts are few. */
    private static final Duration MAX_RETRY_DELAY = Duration.ofMillis(Long.MAX_VALUE);

    /** What became of one artifact. */
    public sealed interface Outcome {
        /**
         * @param alreadyDone found an existing encryption record (a redelivery)
         * @param handedOff the plaintext came through the hand-off, whose progress was reported as it arrived
         */
        record Encrypted(ArtifactEncrypted event, boolean alreadyDone, boolean handedOff) implements Outcome {
            public Encrypted(ArtifactEncrypted event, boolean alreadyDone) {
                this(event, alreadyDone, false);
            }
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
        Retry retry = new Retry(max, settings.firstRetryDelay(), MAX_RETRY_DELAY);
        try {
            return retry.call("encrypting " + staged.artifactName(), () -> attempt(staged, progress),
                    e -> e instanceof ObjectStoreException ose && ose.isTransient());
        } catch (ObjectStoreException e) {
            if (Thread.currentThread().isInterrupted()) {
                return failed("interrupted while waiting to retry after: " + e.getMessage());
            }
            if (!e.isTransient()) {
                return failed("the object store refused a request: " + e.getMessage()
                        + "; check the buckets and the credentials' permissions, then re-run the backup");
            }
            return failed("the object store failed " + max + " times (last: " + e.getMessage()
                    + "); the artifact was not encrypted and its staging copy is kept; check the object store, "
                    + "then re-run the backup");
        } catch (RuntimeException e) {
            LOG.error("encrypting {} failed unexpectedly", staged.artifactName(), e);
            return failed("unexpected error while encrypting: " + e);
        }
    }

    private Outcome attempt(ArtifactStaged staged, LongConsumer progress) {
        BackupLayout layout = settings.layout();
        String stagingBucket = layout.stagingBucket();
        String objectKey = layout.encryptedKey(staged.clusterId(), staged.backupId(), staged.artifactName());
        String recordKey = layout.encryptedRecordKey(staged.clusterId(), staged.backupId(), staged.artifactName());
        Optional<ArtifactEncrypted> record = FinishedWorkRecord.readEvent(store, layout.backupBucket(), recordKey,
                ArtifactEncrypted.class);
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
            String receiptKey = layout.handoffReceiptKey(staged.clusterId(), staged.backupId(), staged.artifactName());
            Optional<HandoffReceipt> receipt = readReceipt(receiptKey);
            if (receipt.isPresent()) {
                return confirmHandoff(staged, receipt.get(), objectKey, recordKey, receiptKey);
            }
            return failed("the staged object s3://" + stagingBucket + "/" + staged.stagingKey() + " is missing and "
                    + "there is no encryption record or hand-off receipt: it was deleted or never completed; re-run "
                    + "the backup");
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
        String what = "staged object s3://" + settings.layout().stagingBucket() + "/" + staged.stagingKey();
        Encrypted done;
        try {
            done = encryptInto(objectKey, metadata(staged, keyId, parameters), staged.artifactName(),
                    staged.occurredAt(), () -> new CheckedPlaintextStream(
                            store.get(settings.layout().stagingBucket(), staged.stagingKey()), staged.sizeBytes(),
                            staged.sha256(), what, progress));
        } catch (StreamFailure e) {
            if (e.encrypting instanceof PlaintextMismatchException mismatch) {
                return failed(mismatch.getMessage() + ": refused, no backup object was written and the staging copy "
                        + "is kept for inspection; re-run the backup to stage it again");
            }
            if (e.encrypting instanceof ObjectStoreException ose) {
                throw ose; // reading the staging object failed: transient or not, classified there
            }
            if (e.upload != null) {
                throw e.upload;
            }
            return failed(e.getMessage());
        }
        ArtifactEncrypted event = encryptedEvent(staged, objectKey, keyId, done.plaintextBytes(),
                done.ciphertextBytes(), done.ciphertextSha256(), parameters, (System.nanoTime() - t0) / 1_000_000);
        writeRecord(recordKey, staged, event);
        // Only now is the ciphertext complete and recorded: the plaintext copy can go.
        store.remove(settings.layout().stagingBucket(), staged.stagingKey());
        LOG.info("encrypted {} ({} bytes) to {} ({} bytes, key ID {}) in {} ms", staged.artifactName(),
                done.plaintextBytes(), objectKey, done.ciphertextBytes(), keyId, event.durationMs());
        return new Outcome.Encrypted(event, false);
    }

    /**
     * Encrypts a plaintext handed over directly by its producer (no staging copy) into the backup bucket
     * and writes the {@link HandoffReceipt} beside it. The artifact counts as encrypted only when its
     * ArtifactStaged event arrives with the same size and SHA-256 ({@link #encrypt}). Throws when the
     * stream or the store fails; then no ciphertext object and no receipt exist.
     */
    public HandoffReceipt receive(String clusterId, String backupId, ArtifactKind kind, String artifactName,
            InputStream plaintext, LongConsumer progress) throws IOException {
        long t0 = System.nanoTime();
        BackupLayout layout = settings.layout();
        String objectKey = layout.encryptedKey(clusterId, backupId, artifactName);
        String keyId = passphrases.activeKeyId();
        EncryptionParameters parameters = encryptor.parameters();
        Map<String, String> metadata = metadata(backupId, clusterId, kind, artifactName, keyId, parameters);
        metadata.put("handoff", "true");
        DigestingInputStream[] digesting = new DigestingInputStream[1];
        Encrypted done;
        try {
            done = encryptInto(objectKey, metadata, artifactName, Instant.now(clock),
                    () -> digesting[0] = new DigestingInputStream(plaintext, progress));
        } catch (StreamFailure e) {
            if (e.encrypting instanceof IOException io && !(io instanceof BoundedPipe.ReaderClosedException)) {
                throw io; // the producer's stream broke (it went away): nothing was stored
            }
            // Otherwise the upload failed first and the encrypting side only saw the pipe close: its reason counts.
            throw e.upload != null ? e.upload : new IllegalStateException(e.getMessage());
        }
        HandoffReceipt receipt = new HandoffReceipt(artifactName, objectKey, keyId, done.plaintextBytes(),
                digesting[0].sha256(), digesting[0].crc32c(), done.ciphertextBytes(), done.ciphertextSha256(), parameters,
                (System.nanoTime() - t0) / 1_000_000);
        byte[] json;
        try {
            json = EventCodec.mapper().writeValueAsBytes(receipt);
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalStateException("cannot encode the hand-off receipt", e);
        }
        store.put(layout.backupBucket(), layout.handoffReceiptKey(clusterId, backupId, artifactName),
                new ByteArrayInputStream(json), json.length, Map.of("backup-id", backupId, "kind", kind.id()),
                "application/json");
        LOG.info("received {} directly ({} bytes) and encrypted it to {} ({} bytes, key ID {}) in {} ms", artifactName,
                done.plaintextBytes(), objectKey, done.ciphertextBytes(), keyId, receipt.durationMs());
        return receipt;
    }

    /** The ArtifactStaged event of a handed-off artifact: confirm the receipt and record the encryption. */
    private Outcome confirmHandoff(ArtifactStaged staged, HandoffReceipt receipt, String objectKey, String recordKey,
            String receiptKey) {
        if (receipt.plaintextBytes() != staged.sizeBytes() || !receipt.plaintextSha256().equals(staged.sha256())) {
            store.remove(settings.layout().backupBucket(), objectKey);
            store.remove(settings.layout().backupBucket(), receiptKey);
            return failed("the plaintext handed to crypto-service (" + receipt.plaintextBytes() + " bytes, SHA-256 "
                    + receipt.plaintextSha256() + ") is not what the ArtifactStaged event describes ("
                    + staged.sizeBytes() + " bytes, SHA-256 " + staged.sha256() + "): refused and removed; re-run "
                    + "the backup");
        }
        ArtifactEncrypted event = encryptedEvent(staged, objectKey, receipt.keyId(), receipt.plaintextBytes(),
                receipt.ciphertextBytes(), receipt.ciphertextSha256(), receipt.parameters(), receipt.durationMs());
        writeRecord(recordKey, staged, event);
        store.remove(settings.layout().backupBucket(), receiptKey);
        LOG.info("{} was handed over directly and encrypted to {} ({} bytes, key ID {}); recorded", staged.artifactName(),
                objectKey, receipt.ciphertextBytes(), receipt.keyId());
        return new Outcome.Encrypted(event, false, true);
    }

    private record Encrypted(long plaintextBytes, long ciphertextBytes, String ciphertextSha256) {
    }

    /** Why an encryption into the backup bucket failed: the encrypting side's reason and/or the upload's. */
    private static final class StreamFailure extends Exception {
        final Throwable encrypting;
        final RuntimeException upload;

        StreamFailure(String message, Throwable encrypting, RuntimeException upload) {
            super(message, encrypting != null ? encrypting : upload);
            this.encrypting = encrypting;
            this.upload = upload;
        }
    }

    /** Opens the plaintext on the encrypting thread (its failures then end the upload, not the caller). */
    private interface PlaintextSource {
        InputStream open() throws IOException;
    }

    /**
     * plaintext (reader thread: socket or S3 body, SHA-256) -> pipe -> OpenPGP encryptor (own thread: CFB,
     * MDC) -> pipe -> upload of unknown length into the backup bucket (calling thread: ciphertext SHA-256,
     * parts). Three threads because one thread doing all of it was the hand-off's bottleneck (the producer
     * waited on the socket). A failure anywhere never completes the upload, so no partial object appears.
     */
    private Encrypted encryptInto(String objectKey, Map<String, String> metadata, String literalName,
            Instant literalDate, PlaintextSource source) throws StreamFailure {
        BoundedPipe plain = new BoundedPipe(PLAINTEXT_CHUNKS, PLAINTEXT_CHUNK);
        CompletableFuture<Long> reading = CompletableFuture.supplyAsync(() -> {
            try (InputStream plaintext = source.open()) {
                OutputStream sink = plain.sink();
                long n = plaintext.transferTo(sink);
                // A checked plaintext throws at its end on a mismatch: then the sink is failed, never closed,
                // so the encryptor never sees an end and never finishes the message.
                sink.close();
                return n;
            } catch (IOException | RuntimeException e) {
                plain.fail(e);
                throw new CompletionException(e);
            }
        }, encryptThreads);
        BoundedPipe pipe = BoundedPipe.ofBytes(settings.pipeBytes());
        CompletableFuture<Long> encrypting = CompletableFuture.supplyAsync(() -> {
            char[] passphrase = passphrases.activePassphrase();
            try (InputStream plaintext = plain.source()) {
                OutputStream message = encryptor.open(pipe.sink(), passphrase, literalName, literalDate);
                Arrays.fill(passphrase, '\0');
                long n = plaintext.transferTo(message);
                message.close();
                return n;
            } catch (IOException | RuntimeException e) {
                pipe.fail(e);
                plain.closeReader(); // stops the reader if it is still writing
                throw new CompletionException(e);
            } finally {
                Arrays.fill(passphrase, '\0');
            }
        }, encryptThreads);
        DigestingInputStream ciphertext = new DigestingInputStream(pipe.source());
        try {
            store.put(settings.layout().backupBucket(), objectKey, ciphertext, -1, metadata, CONTENT_TYPE);
        } catch (RuntimeException e) {
            pipe.closeReader(); // stops the encrypting side if it is still writing
            Throwable encryptingFailure = failureOf(encrypting);
            Throwable readingFailure = failureOf(reading);
            // The reader's failure is the root one (a mismatch, a broken source); the encryptor only saw its echo.
            boolean readerFailed = readingFailure != null && !(readingFailure instanceof BoundedPipe.ReaderClosedException);
            throw new StreamFailure(e.getMessage(), readerFailed ? readingFailure : encryptingFailure, e);
        }
        try {
            long encrypted = encrypting.get(1, TimeUnit.MINUTES);
            return new Encrypted(encrypted, ciphertext.bytesRead(), ciphertext.sha256());
        } catch (InterruptedException | ExecutionException | TimeoutException e) {
            // The upload saw EOF, which the sink sends only after a finished message: should not happen.
            store.remove(settings.layout().backupBucket(), objectKey);
            throw new StreamFailure("the encryption did not finish cleanly after the upload (" + e
                    + "); the object was removed", null, null);
        }
    }

    private ArtifactEncrypted encryptedEvent(ArtifactStaged staged, String objectKey, String keyId, long plaintextBytes,
            long ciphertextBytes, String ciphertextSha256, EncryptionParameters parameters, long durationMs) {
        return new ArtifactEncrypted(BackupEvent.CURRENT_SCHEMA_VERSION,
                EventIds.artifactEncrypted(staged.backupId(), staged.kind()), staged.backupId(),
                staged.clusterId(), Instant.now(clock), staged.kind(), staged.artifactName(), objectKey, keyId,
                plaintextBytes, staged.sha256(), ciphertextBytes, ciphertextSha256, staged.entryCount(),
                staged.listingSha256(), staged.blobCount(), staged.dtrVersion(), staged.topFolder(), parameters,
                FORMAT_VERSION, durationMs);
    }

    private void writeRecord(String recordKey, ArtifactStaged staged, ArtifactEncrypted event) {
        byte[] json = EventCodec.encode(event);
        store.put(settings.layout().backupBucket(), recordKey, new ByteArrayInputStream(json), json.length,
                Map.of("backup-id", staged.backupId(), "kind", staged.kind().id()), "application/json");
    }

    /** User metadata of the ciphertext object: nothing secret, no ciphertext digest (unknown until the end). */
    static Map<String, String> metadata(ArtifactStaged staged, String keyId, EncryptionParameters p) {
        Map<String, String> m = metadata(staged.backupId(), staged.clusterId(), staged.kind(), staged.artifactName(),
                keyId, p);
        m.put("plaintext-sha256", staged.sha256());
        m.put("plaintext-size", String.valueOf(staged.sizeBytes()));
        return m;
    }

    private static Map<String, String> metadata(String backupId, String clusterId, ArtifactKind kind,
            String artifactName, String keyId, EncryptionParameters p) {
        Map<String, String> m = new LinkedHashMap<>();
        m.put("backup-id", backupId);
        m.put("cluster-id", clusterId);
        m.put("kind", kind.id());
        m.put("artifact-name", artifactName);
        m.put("key-id", keyId);
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

    private Optional<HandoffReceipt> readReceipt(String receiptKey) {
        if (!store.exists(settings.layout().backupBucket(), receiptKey)) {
            return Optional.empty();
        }
        try (InputStream in = store.get(settings.layout().backupBucket(), receiptKey)) {
            return Optional.of(EventCodec.mapper().readValue(in.readAllBytes(), HandoffReceipt.class));
        } catch (IOException e) {
            LOG.warn("the hand-off receipt {} is unreadable ({}): treating the artifact as never received", receiptKey,
                    e.getMessage());
            return Optional.empty();
        }
    }

    private static Throwable failureOf(CompletableFuture<Long> stage) {
        try {
            stage.get(1, TimeUnit.MINUTES);
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
}
