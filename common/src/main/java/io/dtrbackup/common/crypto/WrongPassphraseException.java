package io.dtrbackup.common.crypto;

/**
 * The passphrase does not open the message (OpenPGP's quick check failed, or what it decrypted
 * is not an OpenPGP packet stream). Thrown before any plaintext is released.
 */
public final class WrongPassphraseException extends OpenPgpException {
    WrongPassphraseException(String message, Throwable cause) {
        super(Reason.WRONG_PASSPHRASE, message, cause);
    }
}
