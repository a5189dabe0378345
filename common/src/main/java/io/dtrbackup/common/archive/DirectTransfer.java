package io.dtrbackup.common.archive;

import java.io.IOException;
import java.io.OutputStream;

/**
 * An input stream that can hand its bytes to an {@link OutputStream} straight from its own
 * buffer. The tar rewriter passes file data through this way, so a file's bytes are copied once
 * on their way from the socket buffer into the pipe instead of through a scratch array.
 */
public interface DirectTransfer {
    /**
     * Writes exactly {@code n} bytes of the stream to {@code out}, in slices of the stream's
     * buffer; an {@link java.io.EOFException} when the stream ends first.
     */
    void transferExactly(OutputStream out, long n) throws IOException;
}
