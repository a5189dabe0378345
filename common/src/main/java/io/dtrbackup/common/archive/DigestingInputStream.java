package io.dtrbackup.common.archive;

import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.function.LongConsumer;

/** Counts and SHA-256-hashes what passes through, and reports the running byte count. */
public final class DigestingInputStream extends FilterInputStream {
    private final MessageDigest digest;
    private final LongConsumer progress;
    private long bytes;

    public DigestingInputStream(InputStream in, LongConsumer progress) {
        super(in);
        this.progress = progress;
        try {
            this.digest = MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    public DigestingInputStream(InputStream in) {
        this(in, n -> { });
    }

    @Override
    public int read() throws IOException {
        int b = super.read();
        if (b >= 0) {
            digest.update((byte) b);
            bytes++;
            progress.accept(bytes);
        }
        return b;
    }

    @Override
    public int read(byte[] buffer, int offset, int length) throws IOException {
        int n = super.read(buffer, offset, length);
        if (n > 0) {
            digest.update(buffer, offset, n);
            bytes += n;
            progress.accept(bytes);
        }
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

    public long bytesRead() {
        return bytes;
    }

    /** The SHA-256 of everything read so far; call once, at the end. */
    public String sha256() {
        return HexFormat.of().formatHex(digest.digest());
    }
}
