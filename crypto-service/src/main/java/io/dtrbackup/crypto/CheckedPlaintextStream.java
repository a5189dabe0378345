package io.dtrbackup.crypto;

import io.dtrbackup.common.archive.DigestingInputStream;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.function.LongConsumer;

/**
 * The staged plaintext, hashed as it is read. Reaching its end with a size or SHA-256 other
 * than the ArtifactStaged event's throws {@link PlaintextMismatchException} instead of
 * reporting EOF (and so does reading past the expected size), so the encryption never
 * finishes its message and the ciphertext upload is aborted rather than completed.
 */
final class CheckedPlaintextStream extends FilterInputStream {
    private final DigestingInputStream digesting;
    private final long expectedSize;
    private final String expectedSha256;
    private final String what;
    private boolean verified;
    private PlaintextMismatchException failure;

    CheckedPlaintextStream(InputStream in, long expectedSize, String expectedSha256, String what, LongConsumer progress) {
        super(new DigestingInputStream(in, progress));
        this.digesting = (DigestingInputStream) super.in;
        this.expectedSize = expectedSize;
        this.expectedSha256 = expectedSha256;
        this.what = what;
    }

    @Override
    public int read() throws IOException {
        int b = super.read();
        after(b < 0 ? -1 : 1);
        return b;
    }

    @Override
    public int read(byte[] buffer, int offset, int length) throws IOException {
        int n = super.read(buffer, offset, length);
        after(n);
        return n;
    }

    @Override
    public long skip(long n) throws IOException {
        throw new IOException("skip would bypass the digest");
    }

    @Override
    public boolean markSupported() {
        return false;
    }

    long bytesRead() {
        return digesting.bytesRead();
    }

    private void after(int n) throws IOException {
        if (n >= 0) {
            if (digesting.bytesRead() > expectedSize) {
                throw failure = new PlaintextMismatchException(what + " is larger than its ArtifactStaged event says ("
                        + expectedSize + " bytes)");
            }
            return;
        }
        if (failure != null) {
            throw failure; // every read at the end keeps failing
        }
        if (verified) {
            return;
        }
        String actual = digesting.sha256();
        if (digesting.bytesRead() != expectedSize || !actual.equals(expectedSha256)) {
            failure = new PlaintextMismatchException(what + " does not match its ArtifactStaged event: expected "
                    + expectedSize + " bytes with SHA-256 " + expectedSha256 + ", read " + digesting.bytesRead()
                    + " bytes with SHA-256 " + actual);
            throw failure;
        }
        verified = true;
    }
}
