package io.dtrbackup.common.crypto;

import java.io.IOException;

/**
 * An OpenPGP message could not be decrypted or is not one dtr-backup accepts: the one vocabulary
 * of decryption failures, for verification and restore alike. The message says what an operator
 * can do; it never holds a passphrase or plaintext. A failing read of the ciphertext itself (the
 * object store) is a plain {@link IOException}, never this.
 */
public class OpenPgpException extends IOException {

    /** The failure classes an operator acts on differently. */
    public enum Reason {
        /** The passphrase does not open the session key (quick check / prefix check): {@link WrongPassphraseException}. */
        WRONG_PASSPHRASE,
        /** The modification detection code does not match: {@link IntegrityException}. */
        MDC_FAILURE,
        /** The ciphertext ends before its packets do: {@link IntegrityException}. */
        TRUNCATED,
        /** The message has no integrity protection (no MDC), refused: {@link IntegrityException}. */
        NOT_INTEGRITY_PROTECTED,
        /** Not an OpenPGP message dtr-backup reads (bad packet structure, trailing data...). */
        MALFORMED,
        /** A valid form the fast path does not read (e.g. compression): the decryptor falls back to Bouncy Castle. */
        UNSUPPORTED
    }

    private final Reason reason;

    public OpenPgpException(String message) {
        this(Reason.MALFORMED, message, null);
    }

    public OpenPgpException(String message, Throwable cause) {
        this(Reason.MALFORMED, message, cause);
    }

    OpenPgpException(Reason reason, String message, Throwable cause) {
        super(message, cause);
        this.reason = reason;
    }

    public Reason reason() {
        return reason;
    }

    /** The exception of {@code reason}'s class. */
    static OpenPgpException of(Reason reason, String message) {
        return of(reason, message, null);
    }

    static OpenPgpException of(Reason reason, String message, Throwable cause) {
        return switch (reason) {
            case WRONG_PASSPHRASE -> new WrongPassphraseException(message, cause);
            case MDC_FAILURE, TRUNCATED, NOT_INTEGRITY_PROTECTED -> new IntegrityException(reason, message, cause);
            case MALFORMED, UNSUPPORTED -> new OpenPgpException(reason, message, cause);
        };
    }
}
