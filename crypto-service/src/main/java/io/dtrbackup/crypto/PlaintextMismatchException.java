package io.dtrbackup.crypto;

import java.io.IOException;

/** The staged plaintext is not what its ArtifactStaged event describes (size or SHA-256). */
final class PlaintextMismatchException extends IOException {
    PlaintextMismatchException(String message) {
        super(message);
    }
}
