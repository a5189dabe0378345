package io.dtrbackup.verify.openpgp;

/** Why an encrypted artifact could not be decrypted into trustworthy plaintext. */
public final class DecryptionException extends Exception {

    /** The failure classes an operator acts on differently. */
    public enum Reason {
        /** The passphrase for the key ID does not open the session key (prefix check / BC data check). */
        WRONG_KEY,
        /** The modification detection code does not match: the ciphertext was altered or damaged. */
        MDC_FAILURE,
        /** The object ends before its packets do. */
        TRUNCATED,
        /** The message has no integrity protection (SED without MDC): refused. */
        NOT_INTEGRITY_PROTECTED,
        /** Not an OpenPGP message this pipeline writes (bad packet structure, trailing data...). */
        MALFORMED,
        /** A valid form the fast path does not handle (e.g. compression): use the standard decryptor. */
        UNSUPPORTED
    }

    private final Reason reason;

    public DecryptionException(Reason reason, String message) {
        super(message);
        this.reason = reason;
    }

    public DecryptionException(Reason reason, String message, Throwable cause) {
        super(message, cause);
        this.reason = reason;
    }

    public Reason reason() {
        return reason;
    }
}
