package io.dtrbackup.common.crypto;

/**
 * The message is not integrity protected (no MDC), or its modification detection code does not
 * match: the ciphertext was changed, truncated or corrupted. Whatever plaintext was read before
 * this exception must be discarded.
 */
public final class IntegrityException extends OpenPgpException {
    public IntegrityException(String message) {
        super(message);
    }

    public IntegrityException(String message, Throwable cause) {
        super(message, cause);
    }
}
