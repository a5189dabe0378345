package io.dtrbackup.verify;

import io.dtrbackup.contract.events.ArtifactEncrypted;
import io.dtrbackup.contract.events.ArtifactKind;
import io.dtrbackup.contract.manifest.Manifest;

/**
 * What an encrypted artifact must turn out to be, from its producer's record (the
 * ArtifactEncrypted event, or the manifest when re-verifying).
 */
public record Expectation(ArtifactKind kind, String objectKey, String keyId, long ciphertextSize,
        String ciphertextSha256, long plaintextSize, String plaintextSha256, long entryCount, String listingSha256,
        String dtrVersion, String topFolder, Long blobCount) {

    /** What re-verification expects of one artifact of a stored backup. */
    public static Expectation of(Manifest m, Manifest.Artifact a) {
        return new Expectation(a.kind(), a.objectKey(), a.keyId(), a.ciphertextSize(), a.ciphertextSha256(),
                a.plaintextSize(), a.plaintextSha256(), a.entryCount(), a.listingSha256(), m.dtrVersion(), a.topFolder(),
                a.blobCount());
    }

    public static Expectation of(ArtifactEncrypted e) {
        return new Expectation(e.kind(), e.objectKey(), e.keyId(), e.ciphertextSize(), e.ciphertextSha256(),
                e.plaintextSize(), e.plaintextSha256(), e.entryCount(), e.listingSha256(), e.dtrVersion(), e.topFolder(),
                e.blobCount());
    }
}
