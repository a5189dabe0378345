package io.dtrbackup.common.crypto;

/**
 * A decryption whose MDC verified. The consumer's result is only meaningful because the MDC
 * passed; a decryption whose MDC failed never produces a {@code Decrypted}.
 *
 * @param value what the plaintext consumer returned, null when it threw
 * @param consumerError what the consumer threw (e.g. a damaged tar), or null
 * @param ciphertextBytes bytes of the object read
 * @param ciphertextSha256 SHA-256 of the object as stored
 * @param plaintextBytes size of the literal data (the artifact's plaintext)
 * @param plaintextSha256 SHA-256 of the literal data
 * @param method {@code fast-cfb} or {@code bouncycastle}
 * @param cipher the symmetric algorithm, e.g. {@code AES-256}
 */
public record Decrypted<T>(T value, Throwable consumerError, long ciphertextBytes, String ciphertextSha256,
        long plaintextBytes, String plaintextSha256, String method, String cipher) {
}
