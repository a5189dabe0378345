package io.dtrbackup.verify;

import io.dtrbackup.contract.events.ArtifactKind;
import java.time.Instant;
import java.util.List;

/**
 * The outcome of verifying one artifact; written as JSON beside it
 * ({@code verification-<kind>.json}) and the source of ArtifactVerified / ArtifactFailed.
 *
 * @param verified true only when the MDC verified and every check passed
 * @param reason null when verified; else every problem, most fundamental first
 * @param problems the individual problems
 * @param method {@code fast-cfb} or {@code bouncycastle}, null when decryption never started
 */
public record VerificationResult(
        int formatVersion, String backupId, String clusterId, ArtifactKind kind, String objectKey, String keyId,
        boolean verified, String reason, List<String> problems, boolean reverification, Instant verifiedAt,
        long ciphertextSize, String ciphertextSha256, long plaintextSize, String plaintextSha256, long entryCount,
        String listingSha256, String topFolder, List<String> tables, Long documentsParsed, Long blobsChecked,
        String method, String cipher, long durationMs, double megabytesPerSecond) {

    public static final int FORMAT_VERSION = 1;

    public VerificationResult {
        problems = problems == null ? List.of() : List.copyOf(problems);
        tables = tables == null ? null : List.copyOf(tables);
    }
}
