package io.dtrbackup.common.crypto;

import io.dtrbackup.common.archive.BulkInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;

/**
 * The body of one packet, across partial-length framing: reads end where the packet ends; the
 * enclosing stream ending earlier is an {@link EOFException} (a truncated object).
 */
final class PacketBodyInputStream extends BulkInputStream {
    private final InputStream in;
    private final int tag;
    private final boolean indeterminate;
    private long remaining;
    private boolean partial;
    private boolean done;

    PacketBodyInputStream(InputStream in, PacketHeader header) {
        this.in = in;
        this.tag = header.tag();
        this.indeterminate = header.length() < 0;
        this.remaining = header.length();
        this.partial = header.partial();
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
        if (len == 0) {
            return 0;
        }
        if (indeterminate) {
            return in.read(b, off, len);
        }
        while (remaining == 0) {
            if (done || !partial) {
                done = true;
                return -1;
            }
            PacketHeader next = PacketHeader.readPartLength(tag, in);
            remaining = next.length();
            partial = next.partial();
        }
        int n = in.read(b, off, (int) Math.min(len, remaining));
        if (n < 0) {
            throw new EOFException("the object ends " + remaining + " bytes before the end of a packet (tag " + tag + ")");
        }
        remaining -= n;
        return n;
    }

    /** Reads exactly {@code len} bytes or fails: used for fixed fields inside a body. */
    void readFully(byte[] b, int off, int len) throws IOException {
        while (len > 0) {
            int n = read(b, off, len);
            if (n < 0) {
                throw new EOFException("packet (tag " + tag + ") ends inside a fixed field");
            }
            off += n;
            len -= n;
        }
    }

    /** Reads to the end of the packet; returns how many bytes were skipped. */
    long drain() throws IOException {
        byte[] buf = new byte[1 << 16];
        long total = 0;
        int n;
        while ((n = read(buf, 0, buf.length)) >= 0) {
            total += n;
        }
        return total;
    }
}
