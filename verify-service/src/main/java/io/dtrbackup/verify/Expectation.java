package io.dtrbackup.verify;

import io.dtrbackup.common.events.ArtifactEncrypted;
import io.dtrbackup.common.events.ArtifactKind;

/**
 * What an encrypted artifact must turn out to be, from its producer's record (the
 * ArtifactEncrypted event, or the manifest when re-verifying).
 */
public record Expectation(ArtifactKind kind, String objectKey, String keyId, long ciphertextSize,
        String ciphertextSha256, long plaintextSize, String plaintextSha256, long entryCount, String listingSha256,
        String dtrVersion, String topFolder, Long blobCount) {

    public static Expectation of(ArtifactEncrypted e) {
        return new Expectation(e.kind(), e.objectKey(), e.keyId(), e.ciphertextSize(), e.ciphertextSha256(),
                e.plaintextSize(), e.plaintextSha256(), e.entryCount(), e.listingSha256(), e.dtrVersion(), e.topFolder(),
                e.blobCount());
    }
}
