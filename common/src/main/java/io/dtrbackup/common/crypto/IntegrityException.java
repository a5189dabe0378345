package io.dtrbackup.common.crypto;

/**
 * The message is not integrity protected (no MDC), or its modification detection code does not
 * match, or it ends early: the ciphertext was changed, truncated or corrupted. Whatever plaintext
 * was read before this exception must be discarded.
 */
public final class IntegrityException extends OpenPgpException {
    IntegrityException(Reason reason, String message, Throwable cause) {
        super(reason, message, cause);
    }
}
