package io.dtrbackup.common.archive;

import java.io.IOException;
import java.io.InputStream;

/**
 * An InputStream whose real work is the bulk {@link #read(byte[], int, int)}: the single-byte read
 * goes through it, so each stream (pipes, socket and packet readers, tees) writes only the one read.
 */
public abstract class BulkInputStream extends InputStream {
    @Override
    public int read() throws IOException {
        byte[] one = new byte[1];
        int n = read(one, 0, 1);
        return n < 0 ? -1 : one[0] & 0xff;
    }

    @Override
    public abstract int read(byte[] b, int off, int len) throws IOException;
}
