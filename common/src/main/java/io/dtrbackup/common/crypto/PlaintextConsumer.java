package io.dtrbackup.common.crypto;

import java.io.IOException;
import java.io.InputStream;

/** Reads the decrypted literal data (in memory, streaming) and returns what it found. */
@FunctionalInterface
public interface PlaintextConsumer<T> {
    T consume(InputStream plaintext) throws IOException;
}
