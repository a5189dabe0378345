package io.dtrbackup.cli;

import io.dtrbackup.common.archive.DigestingInputStream;
import io.dtrbackup.common.crypto.Decrypted;
import io.dtrbackup.common.crypto.IntegrityException;
import io.dtrbackup.common.crypto.OpenPgpDecryptor;
import io.dtrbackup.common.crypto.OpenPgpException;
import io.dtrbackup.common.crypto.PassphraseStore;
import io.dtrbackup.common.crypto.WrongPassphraseException;
import io.dtrbackup.contract.events.ArtifactEncrypted;
import io.dtrbackup.contract.events.EventCodec;
import io.dtrbackup.contract.layout.BackupLayout;
import io.dtrbackup.common.store.ObjectStore;
import io.dtrbackup.common.store.ObjectStoreException;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.LongConsumer;

/**
 * Downloads a backup's artifacts and gives back the original {@code .tar} files. Each artifact is
 * decrypted streaming into a hidden temporary file; only when the OpenPGP integrity check (MDC)
 * passed AND the plaintext's SHA-256 equals the manifest's is it renamed to its seed name.
 * On any failure the temporary file is deleted: unverified plaintext is never released.
 */
final class Fetcher {
    /** A released, verified file. */
    record Fetched(String kind, Path file, long size, String sha256) {
    }

    private final ObjectStore store;
    private final BackupLayout layout;
    private final PassphraseStore passphrases;

    Fetcher(ObjectStore store, BackupLayout layout, PassphraseStore passphrases) {
        this.store = store;
        this.layout = layout;
        this.passphrases = passphrases;
    }

    List<Fetched> fetch(ManifestView manifest, Path outDir, boolean overwrite, ProgressSink progress) throws IOException {
        Files.createDirectories(outDir);
        List<Fetched> done = new ArrayList<>();
        for (ManifestView.Artifact artifact : manifest.artifacts()) {
            if (!artifact.isStored()) {
                continue; // skipped (external storage / --skip-images): nothing to fetch
            }
            done.add(fetchOne(artifact, outDir, overwrite, progress));
        }
        if (done.isEmpty()) {
            throw new CliException("backup " + manifest.backupId() + " has no stored artifact in its manifest " + manifest.key());
        }
        return done;
    }

    /** Receives the plaintext bytes written per artifact (for a bar or a line). */
    interface ProgressSink {
        LongConsumer start(String kind, String name, long expectedBytes);
    }

    Fetched fetchOne(ManifestView.Artifact artifact, Path outDir, boolean overwrite, ProgressSink progress) throws IOException {
        Optional<ArtifactEncrypted> record = encryptedRecord(artifact.objectKey());
        String name = artifact.artifactName() != null ? artifact.artifactName()
                : record.map(ArtifactEncrypted::artifactName).orElse(plainName(artifact.objectKey()));
        if (name.contains("/") || name.startsWith(".")) {
            throw new CliException(ExitCodes.INTEGRITY, "refusing artifact name '" + name + "' from " + artifact.objectKey());
        }
        String expectedSha = artifact.plaintextSha256() != null ? artifact.plaintextSha256()
                : record.map(ArtifactEncrypted::plaintextSha256).orElse(null);
        if (expectedSha == null) {
            throw new CliException(ExitCodes.INTEGRITY, "no plaintext SHA-256 for " + artifact.objectKey()
                    + " in the manifest or its encryption record: cannot check the download, refusing it");
        }
        String keyId = artifact.keyId() != null ? artifact.keyId()
                : record.map(ArtifactEncrypted::keyId).orElse(passphrases.activeKeyId());
        if (!passphrases.contains(keyId)) {
            throw new CliException("artifact " + name + " was encrypted with key ID '" + keyId + "', which is not among "
                    + passphrases.keyIds() + ": pass --passphrase-dir with a '" + keyId + "' file (or --passphrase-file "
                    + "with --key-id " + keyId + ")");
        }
        Path target = outDir.resolve(name);
        if (Files.exists(target) && !overwrite) {
            throw new CliException(target + " already exists: remove it or pass --overwrite");
        }
        Path partial = outDir.resolve("." + name + ".partial");
        long expectedSize = artifact.plaintextSize() >= 0 ? artifact.plaintextSize()
                : record.map(ArtifactEncrypted::plaintextSize).orElse(-1L);
        LongConsumer onBytes = progress.start(artifact.kind().toLowerCase(java.util.Locale.ROOT), name, expectedSize);
        boolean released = false;
        try {
            // The decryptor verify-service proves artifacts with: a restore reads what verification read.
            Decrypted<Void> clear = OpenPgpDecryptor.decrypt(() -> store.get(layout.backupBucket(), artifact.objectKey()),
                    passphrases, keyId, plaintext -> {
                        try (OutputStream out = new BufferedOutputStream(Files.newOutputStream(partial), 1 << 20)) {
                            new DigestingInputStream(plaintext, onBytes, false).transferTo(out);
                        }
                        return null;
                    });
            if (clear.consumerError() != null) {
                throw clear.consumerError() instanceof IOException io ? io : new IOException(clear.consumerError());
            }
            String sha = clear.plaintextSha256();
            long size = clear.plaintextBytes();
            if (!sha.equalsIgnoreCase(expectedSha)) {
                throw new CliException(ExitCodes.INTEGRITY, name + ": SHA-256 of the decrypted data is " + sha
                        + ", the manifest says " + expectedSha + ": the stored backup does not match what was verified. "
                        + "Nothing was written; run './dtr-backup verify " + BackupLayout.backupIdOf(artifact.objectKey())
                        + "' and use another backup");
            }
            Files.move(partial, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            released = true;
            return new Fetched(artifact.kind(), target, size, sha);
        } catch (WrongPassphraseException e) {
            throw new CliException(ExitCodes.ERROR, name + ": the passphrase of key ID '" + keyId + "' does not open it ("
                    + e.getMessage() + "): pass the passphrase file the backup was made with");
        } catch (IntegrityException e) {
            throw new CliException(ExitCodes.INTEGRITY, name + ": " + e.getMessage() + ". Nothing was written; the object "
                    + artifact.objectKey() + " is corrupt: use another backup and run './dtr-backup verify'");
        } catch (OpenPgpException e) {
            throw new CliException(ExitCodes.INTEGRITY, name + ": " + e.getMessage() + ". Nothing was written.");
        } catch (ObjectStoreException e) {
            throw new CliException(name + ": cannot read " + artifact.objectKey() + " from bucket " + layout.backupBucket()
                    + ": " + e.getMessage());
        } finally {
            if (!released) {
                Files.deleteIfExists(partial);
            }
        }
    }

    /** The {@code <artifact>.gpg.json} record beside the ciphertext, if it is there and readable. */
    Optional<ArtifactEncrypted> encryptedRecord(String objectKey) {
        String recordKey = objectKey + ".json";
        try {
            if (!store.exists(layout.backupBucket(), recordKey)) {
                return Optional.empty();
            }
            try (InputStream in = store.get(layout.backupBucket(), recordKey)) {
                return Optional.of(EventCodec.decode(in.readAllBytes(), ArtifactEncrypted.class));
            }
        } catch (IOException | RuntimeException | io.dtrbackup.contract.events.MalformedEventException e) {
            return Optional.empty();
        }
    }

    static String plainName(String objectKey) {
        String file = objectKey.substring(objectKey.lastIndexOf('/') + 1);
        return file.endsWith(BackupLayout.ENCRYPTED_SUFFIX)
                ? file.substring(0, file.length() - BackupLayout.ENCRYPTED_SUFFIX.length()) : file;
    }

    /** The restore procedure for fetched files, in the documented order. */
    static List<String> restoreSteps(ManifestView manifest, List<Fetched> files) {
        String version = manifest.dtrVersion() == null ? "<the backup's DTR version>" : manifest.dtrVersion();
        Path images = files.stream().filter(f -> f.kind().equals("IMAGES")).map(Fetched::file).findFirst().orElse(null);
        Path metadata = files.stream().filter(f -> f.kind().equals("METADATA")).map(Fetched::file).findFirst().orElse(null);
        List<String> steps = new ArrayList<>();
        steps.add("Restore, in this order (docs/operations.md has the details):");
        steps.add("  1. Restore UCP first from its own backup: users, orgs and teams live in UCP, not in this backup.");
        if (images != null) {
            steps.add("  2. Image content, on the node that will run the DTR replica (as root):");
            steps.add("       sudo tar -xf " + images.toAbsolutePath() + " -C /");
            steps.add("     (recreates /var/lib/docker/volumes/dtr-registry-<replicaId>/)");
        } else {
            steps.add("  2. Image content is not in this backup (external storage or --skip-images): restore it the "
                    + "way that storage system documents.");
        }
        if (metadata != null) {
            steps.add("  3. Metadata, with the SAME DTR version (" + version + "), through a UCP client bundle:");
            steps.add("       docker run -i --rm --env UCP_PASSWORD docker/dtr:" + version + " restore \\");
            steps.add("         --ucp-url <UCP URL> --ucp-username <admin> --ucp-ca \"$(cat ucp-ca.pem)\" \\");
            steps.add("         --ucp-node <node> --replica-id <replica ID> --dtr-use-default-storage < "
                    + metadata.toAbsolutePath());
            steps.add("     (the tar goes on stdin; use --dtr-storage-volume or --nfs-storage-url instead of "
                    + "--dtr-use-default-storage if your DTR stored images there)");
        }
        steps.add("  4. The vulnerability database is not in the backup: DTR downloads it again after the restore.");
        return steps;
    }
}
