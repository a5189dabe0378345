package io.dtrbackup.crypto;

import io.dtrbackup.contract.events.EncryptionParameters;

/**
 * What crypto-service stored for a plaintext handed to it directly by its producer: written beside
 * the ciphertext once the upload is complete, read back when the artifact's ArtifactStaged event
 * arrives (which must carry the same size and SHA-256), then replaced by the encryption record.
 * Nothing secret: sizes, digests, the key ID and the OpenPGP parameters.
 */
public record HandoffReceipt(String artifactName, String objectKey, String keyId, long plaintextBytes,
        String plaintextSha256, String plaintextCrc32c, long ciphertextBytes, String ciphertextSha256, EncryptionParameters parameters,
        long durationMs) {
}
