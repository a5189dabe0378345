package io.dtrbackup.verify;

import io.dtrbackup.contract.events.ArtifactKind;
import io.dtrbackup.common.store.ObjectInfo;
import io.dtrbackup.common.store.ObjectStore;
import io.dtrbackup.common.store.ObjectStoreException;
import io.dtrbackup.common.crypto.CiphertextSource;
import io.dtrbackup.common.crypto.Decrypted;
import io.dtrbackup.common.crypto.OpenPgpDecryptor;
import io.dtrbackup.common.crypto.OpenPgpException;
import java.io.IOException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.function.LongConsumer;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Verifies one stored artifact: reads it back from the backup bucket, decrypts it in memory
 * (fast CFB path, Bouncy Castle for anything else), and checks everything its producer recorded.
 * Never writes plaintext anywhere. Every reason starts with a short category an operator (and a
 * test) can match: {@code wrong key}, {@code unknown key ID}, {@code missing}, {@code truncated},
 * {@code MDC failure}, {@code not integrity protected}, {@code malformed}, {@code ciphertext digest
 * mismatch}, {@code plaintext digest mismatch}, {@code listing mismatch}, {@code unexpected top
 * folder}, {@code missing table}, {@code document does not parse as JSON}, {@code blob digest
 * mismatch}, {@code blob count mismatch}, {@code damaged tar}, {@code object store error}.
 */
public final class ArtifactVerifier {
    private static final Logger LOG = LoggerFactory.getLogger(ArtifactVerifier.class);

    /** Passphrases by key ID; returns null when the key ID is unknown. */
    @FunctionalInterface
    public interface Passphrases {
        char[] passphrase(String keyId);
    }

    private final ObjectStore store;
    private final String bucket;
    private final Passphrases passphrases;
    private final List<String> requiredTables;
    private final boolean fastPath;

    public ArtifactVerifier(ObjectStore store, String bucket, Passphrases passphrases, List<String> requiredTables,
            boolean fastPath) {
        this.store = store;
        this.bucket = bucket;
        this.passphrases = passphrases;
        this.requiredTables = List.copyOf(requiredTables);
        this.fastPath = fastPath;
    }

    public VerificationResult verify(String backupId, String clusterId, Expectation expected, boolean reverification,
            LongConsumer progress) {
        long start = System.nanoTime();
        Builder r = new Builder(backupId, clusterId, expected, reverification);
        char[] passphrase = passphrases.passphrase(expected.keyId());
        if (passphrase == null) {
            return r.fail(start, "unknown key ID: no passphrase for key ID '" + expected.keyId() + "' (add its file to "
                    + "the passphrase directory, DTR_BACKUP_PASSPHRASE_DIR/" + expected.keyId() + ")");
        }
        try {
            Optional<ObjectInfo> info;
            try {
                info = store.stat(bucket, expected.objectKey());
            } catch (ObjectStoreException e) {
                return r.fail(start, "object store error: cannot stat " + expected.objectKey() + ": " + e.getMessage()
                        + " (check S3, then re-verify the backup)");
            }
            if (info.isEmpty()) {
                return r.fail(start, "missing: " + expected.objectKey() + " is not in bucket " + bucket);
            }
            long size = info.get().size();
            if (size < expected.ciphertextSize()) {
                return r.fail(start, "truncated: " + expected.objectKey() + " is " + size + " bytes, its encryption "
                        + "record says " + expected.ciphertextSize());
            }
            if (size > expected.ciphertextSize()) {
                return r.fail(start, "ciphertext digest mismatch: " + expected.objectKey() + " is " + size
                        + " bytes, its encryption record says " + expected.ciphertextSize());
            }
            Decrypted<TarReport> d;
            try {
                d = decrypt(expected, passphrase, progress);
            } catch (OpenPgpException e) {
                return r.fail(start, describe(e, expected));
            } catch (IOException | ObjectStoreException e) {
                return r.fail(start, "object store error: reading " + expected.objectKey() + " failed: " + e.getMessage()
                        + " (check S3, then re-verify the backup)");
            }
            return r.checked(start, d, check(expected, d));
        } finally {
            Arrays.fill(passphrase, '\0');
        }
    }

    private Decrypted<TarReport> decrypt(Expectation expected, char[] passphrase, LongConsumer progress)
            throws IOException {
        CiphertextSource object = () -> store.get(bucket, expected.objectKey());
        TarInspector inspector = new TarInspector(expected.kind(), progress);
        Decrypted<TarReport> d = fastPath ? OpenPgpDecryptor.decrypt(object, passphrase, inspector)
                : OpenPgpDecryptor.decryptStandard(object, passphrase, inspector);
        if (fastPath && !d.method().equals(OpenPgpDecryptor.FAST_METHOD)) {
            LOG.info("{}: {} is not in the form the fast path reads; it was verified with the standard decryptor",
                    expected.kind().id(), expected.objectKey());
        }
        return d;
    }

    private static String describe(OpenPgpException e, Expectation expected) {
        String object = expected.objectKey();
        return switch (e.reason()) {
            case WRONG_PASSPHRASE -> "wrong key: the passphrase of key ID '" + expected.keyId() + "' does not open " + object
                    + " (" + e.getMessage() + "); check that the passphrase file of that key ID is the one crypto-service used";
            case MDC_FAILURE -> "MDC failure: " + object + " was modified or damaged after encryption (" + e.getMessage()
                    + "); the stored copy cannot be trusted: take a new backup and check the storage";
            case TRUNCATED -> "truncated: " + object + " ends early (" + e.getMessage() + ")";
            case NOT_INTEGRITY_PROTECTED -> "not integrity protected: " + object + " has no MDC (" + e.getMessage() + ")";
            case MALFORMED, UNSUPPORTED -> "malformed: " + object + " is not an OpenPGP message dtr-backup writes ("
                    + e.getMessage() + ")";
        };
    }

    private List<String> check(Expectation e, Decrypted<TarReport> d) {
        List<String> problems = new ArrayList<>();
        TarReport t = d.value();
        if (!d.ciphertextSha256().equals(e.ciphertextSha256()) || d.ciphertextBytes() != e.ciphertextSize()) {
            problems.add("ciphertext digest mismatch: " + e.objectKey() + " is " + d.ciphertextBytes() + " bytes with "
                    + "SHA-256 " + d.ciphertextSha256() + ", its encryption record says " + e.ciphertextSize() + " bytes, "
                    + e.ciphertextSha256());
        }
        if (d.plaintextBytes() != e.plaintextSize() || !d.plaintextSha256().equals(e.plaintextSha256())) {
            problems.add("plaintext digest mismatch: the decrypted tar is " + d.plaintextBytes() + " bytes with SHA-256 "
                    + d.plaintextSha256()
                    + ", the producer recorded " + e.plaintextSize() + " bytes, " + e.plaintextSha256());
        }
        if (t == null) {
            problems.add("damaged tar: " + (d.consumerError() == null ? "unreadable" : d.consumerError().getMessage()));
            return problems;
        }
        if (t.entryCount() != e.entryCount() || !t.listingSha256().equals(e.listingSha256())) {
            problems.add("listing mismatch: the tar lists " + t.entryCount() + " entries (listing SHA-256 "
                    + t.listingSha256() + "), the producer recorded " + e.entryCount() + " (" + e.listingSha256() + ")");
        }
        if (e.kind() == ArtifactKind.METADATA) {
            Pattern top = Pattern.compile("dtr-backup-v" + Pattern.quote(e.dtrVersion()) + "[^/]*/");
            if (t.topFolder() == null || !top.matcher(t.topFolder()).matches()
                    || (e.topFolder() != null && !stripSlash(e.topFolder()).equals(stripSlash(t.topFolder())))) {
                problems.add("unexpected top folder: '" + t.topFolder() + "', expected dtr-backup-v" + e.dtrVersion()
                        + "…/" + (e.topFolder() == null ? "" : " ('" + e.topFolder() + "')"));
            }
            for (String table : requiredTables) {
                if (!t.tables().contains(table)) {
                    problems.add("missing table: rethink/" + table + " is not in the metadata backup (tables found: "
                            + t.tables() + ")");
                }
            }
        } else if (e.blobCount() != null && e.blobCount() != t.blobsChecked()) {
            problems.add("blob count mismatch: " + t.blobsChecked() + " registry blobs in the tar, the producer recorded "
                    + e.blobCount());
        }
        problems.addAll(t.problems());
        return problems;
    }

    private static String stripSlash(String s) {
        return s.endsWith("/") ? s.substring(0, s.length() - 1) : s;
    }

    private static final class Builder {
        final String backupId;
        final String clusterId;
        final Expectation e;
        final boolean reverification;

        Builder(String backupId, String clusterId, Expectation e, boolean reverification) {
            this.backupId = backupId;
            this.clusterId = clusterId;
            this.e = e;
            this.reverification = reverification;
        }

        VerificationResult fail(long start, String reason) {
            return new VerificationResult(VerificationResult.FORMAT_VERSION, backupId, clusterId, e.kind(), e.objectKey(),
                    e.keyId(), false, reason, List.of(reason), reverification, Instant.now(), -1, null, -1, null, -1,
                    null, null, null, null, null, null, null, elapsedMs(start), 0);
        }

        VerificationResult checked(long start, Decrypted<TarReport> d, List<String> problems) {
            TarReport t = d.value();
            long ms = elapsedMs(start);
            boolean ok = problems.isEmpty();
            boolean images = e.kind() == ArtifactKind.IMAGES;
            return new VerificationResult(VerificationResult.FORMAT_VERSION, backupId, clusterId, e.kind(), e.objectKey(),
                    e.keyId(), ok, ok ? null : String.join("; ", problems), problems, reverification, Instant.now(),
                    d.ciphertextBytes(), d.ciphertextSha256(), d.plaintextBytes(), d.plaintextSha256(),
                    t == null ? -1 : t.entryCount(), t == null ? null : t.listingSha256(), t == null ? null : t.topFolder(),
                    t == null || images ? null : t.tables(), t == null || images ? null : t.documents(),
                    t == null || !images ? null : t.blobsChecked(), d.method(), d.cipher(), ms,
                    ms == 0 ? 0 : d.ciphertextBytes() / 1e6 / (ms / 1000.0));
        }

        private static long elapsedMs(long start) {
            return (System.nanoTime() - start) / 1_000_000;
        }
    }
}
