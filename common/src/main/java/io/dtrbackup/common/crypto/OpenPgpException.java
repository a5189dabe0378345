package io.dtrbackup.common.crypto;

import java.io.IOException;

/**
 * An OpenPGP message could not be decrypted or is not one dtr-backup accepts. The message says
 * what an operator can do; it never holds a passphrase or plaintext.
 */
public class OpenPgpException extends IOException {
    public OpenPgpException(String message) {
        super(message);
    }

    public OpenPgpException(String message, Throwable cause) {
        super(message, cause);
    }
}
