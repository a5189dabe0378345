package io.dtrbackup.common.crypto;

import java.io.IOException;
import java.io.InputStream;

/**
 * Opens the ciphertext from its start, each time it is called (e.g. a GET of the stored object):
 * {@link OpenPgpDecryptor} reads it a second time when it falls back to Bouncy Castle.
 */
@FunctionalInterface
public interface CiphertextSource {
    InputStream open() throws IOException;
}
