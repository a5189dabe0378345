package io.dtrbackup.common.archive;

import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.io.OutputStream;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

/**
 * A bounded byte pipe between a producing thread (a tar writer, an encryptor, a container's
 * output) and a consuming one (an upload), holding at most {@code chunks x chunkSize} bytes:
 * buffers are recycled, so a multi-GB stream allocates a few MB once.
 * {@link java.io.PipedInputStream} is avoided: it copies byte-wise under a lock, polls once a
 * second and ties itself to the liveness of the threads.
 * <p>Failures cross over: {@link #fail(Throwable)} on the writer side makes the reader throw (so
 * an upload reading it aborts instead of storing a truncated object), and closing the reader
 * makes further writes throw {@link ReaderClosedException} (so the writer stops). EOF reaches the
 * reader only when the writer closes the sink. Data moves in whole chunks (when a chunk is full,
 * or on close).
 * <p>Two faces over the same recycled buffers: the stream face ({@link #sink()} / {@link #source()})
 * for code that writes and reads streams, and the chunk face ({@link #buffer()}, {@link #put},
 * {@link #recycle}, {@link #end()}, {@link #drain}) for pipeline stages that fill whole buffers
 * themselves and hand them on without a copy (the parallel decryption). Either way the reader
 * reads {@link #source()}.
 */
public final class BoundedPipe {
    private static final long POLL_MS = 200;

    /** The reader went away (the upload failed or finished early); the writer should stop. */
    public static final class ReaderClosedException extends IOException {
        ReaderClosedException() {
            super("the reader of the pipe stopped (see its own error)");
        }
    }

    /** The writer failed; the reader gets this, with the writer's own failure as the cause. */
    public static final class WriterFailedException extends IOException {
        WriterFailedException(Throwable cause) {
            super("the stream failed: " + cause.getMessage(), cause);
        }
    }

    private record Chunk(byte[] data, int offset, int length) {
    }

    private static final Chunk EOF = new Chunk(new byte[0], 0, -1);

    private final BlockingQueue<byte[]> free;
    private final BlockingQueue<Chunk> full;
    private final int maxChunks;
    private final int chunkSize;
    /** Chunks allocated so far (by the writer, on demand): a small stream never pays for the whole pipe. */
    private volatile int allocated;
    private final Sink sink = new Sink();
    private final Source source = new Source();
    private volatile Throwable writerFailure;
    private volatile boolean readerClosed;

    /** A pipe of about {@code totalBytes} in 1 MiB chunks (at least two). */
    public static BoundedPipe ofBytes(long totalBytes) {
        int chunk = 1 << 20;
        return new BoundedPipe((int) Math.max(2, Math.min(4096, totalBytes / chunk)), chunk);
    }

    public BoundedPipe(int chunks, int chunkSize) {
        if (chunks < 2 || chunkSize < 4096) {
            throw new IllegalArgumentException("a pipe needs at least 2 chunks of at least 4 KiB");
        }
        free = new ArrayBlockingQueue<>(chunks);
        full = new ArrayBlockingQueue<>(chunks + 1);
        maxChunks = chunks;
        this.chunkSize = chunkSize;
    }

    /** How many chunks the writer has allocated so far (at most the pipe's size). */
    int allocatedChunks() {
        return allocated;
    }

    /** The writer's end; close it to signal the end of the data. */
    public OutputStream sink() {
        return sink;
    }

    /** The reader's end; close it to stop the writer. */
    public InputStream source() {
        return source;
    }

    /** Stops the reader's side from any thread: further writes throw {@link ReaderClosedException}. */
    public void closeReader() {
        readerClosed = true;
    }

    /** Aborts the stream from the writer's side: the reader gets a {@link WriterFailedException} with this cause. */
    public void fail(Throwable cause) {
        writerFailure = cause == null ? new IOException("writer failed") : cause;
    }

    /**
     * Chunk face: a buffer of the pipe's chunk size to fill and {@link #put}, recycled when one is
     * free; waits while all the pipe's buffers are in flight.
     *
     * @throws ReaderClosedException the reader stopped
     */
    public byte[] buffer() throws IOException {
        return sink.take();
    }

    /** Chunk face: hands {@code length} bytes of a filled buffer at {@code offset} to the reader; waits while the pipe is full. */
    public void put(byte[] buffer, int offset, int length) throws IOException {
        if (length > 0) {
            sink.hand(new Chunk(buffer, offset, length));
        }
    }

    /** Chunk face: returns a buffer that will not be {@link #put} after all. */
    public void recycle(byte[] buffer) {
        if (buffer != null && buffer.length == chunkSize) {
            free.offer(buffer);
        }
    }

    /** Chunk face: the end of the data (what closing the sink does). */
    public void end() throws IOException {
        sink.close();
    }

    /**
     * Reader side: discards everything up to the end or a failure, recycling the buffers, so a
     * writer that must finish its work (hash to the end, check a trailer) never blocks on a reader
     * that is done. Also returns once {@code writerDone} and nothing is left in the pipe.
     */
    public void drain(BooleanSupplier writerDone) {
        try {
            if (source.current != null) {
                recycle(source.current.data());
                source.current = null;
            }
            while (writerFailure == null) {
                Chunk chunk = full.poll(POLL_MS, TimeUnit.MILLISECONDS);
                if (chunk == EOF) {
                    return;
                }
                if (chunk != null) {
                    recycle(chunk.data());
                } else if (writerDone.getAsBoolean() && full.isEmpty()) {
                    return;
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private final class Sink extends OutputStream {
        private byte[] current;
        private int pos;
        private boolean closed;

        @Override
        public void write(int b) throws IOException {
            write(new byte[] {(byte) b}, 0, 1);
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
            if (closed) {
                throw new IOException("pipe closed");
            }
            while (len > 0) {
                if (current == null) {
                    current = take();
                    pos = 0;
                }
                int n = Math.min(len, current.length - pos);
                System.arraycopy(b, off, current, pos, n);
                pos += n;
                off += n;
                len -= n;
                if (pos == current.length) {
                    hand(new Chunk(current, 0, pos));
                    current = null;
                }
            }
        }

        @Override
        public void flush() {
            // Chunks move when full or on close: flushing half-empty chunks would only cost throughput.
        }

        @Override
        public void close() throws IOException {
            if (closed) {
                return;
            }
            closed = true;
            if (current != null && pos > 0) {
                hand(new Chunk(current, 0, pos));
                current = null;
            }
            hand(EOF);
        }

        private byte[] take() throws IOException {
            try {
                byte[] reused = free.poll();
                if (reused != null) {
                    return reused;
                }
                if (allocated < maxChunks) {
                    allocated++; // only the writer allocates
                    return new byte[chunkSize];
                }
                while (true) {
                    checkReader();
                    byte[] buffer = free.poll(POLL_MS, TimeUnit.MILLISECONDS);
                    if (buffer != null) {
                        return buffer;
                    }
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new InterruptedIOException("interrupted writing to the pipe");
            }
        }

        private void hand(Chunk chunk) throws IOException {
            try {
                while (true) {
                    checkReader();
                    if (full.offer(chunk, POLL_MS, TimeUnit.MILLISECONDS)) {
                        return;
                    }
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new InterruptedIOException("interrupted writing to the pipe");
            }
        }

        private void checkReader() throws IOException {
            if (readerClosed) {
                throw new ReaderClosedException();
            }
        }
    }

    private final class Source extends BulkInputStream {
        private Chunk current;
        private int pos;
        private boolean eof;

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            if (len == 0) {
                return 0;
            }
            if (!next()) {
                return -1;
            }
            int end = current.offset() + current.length();
            int n = Math.min(len, end - pos);
            System.arraycopy(current.data(), pos, b, off, n);
            pos += n;
            if (pos == end) {
                recycle(current.data());
                current = null;
            }
            return n;
        }

        @Override
        public int available() {
            return current == null ? 0 : current.offset() + current.length() - pos;
        }

        private boolean next() throws IOException {
            checkWriter();
            if (current != null) {
                return true;
            }
            if (eof) {
                return false;
            }
            try {
                while (true) {
                    Chunk chunk = full.poll(POLL_MS, TimeUnit.MILLISECONDS);
                    checkWriter();
                    if (chunk == EOF) {
                        eof = true;
                        return false;
                    }
                    if (chunk != null) {
                        current = chunk;
                        pos = chunk.offset();
                        return true;
                    }
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new InterruptedIOException("interrupted reading the pipe");
            }
        }

        private void checkWriter() throws IOException {
            Throwable failure = writerFailure;
            if (failure != null) {
                throw new WriterFailedException(failure);
            }
        }

        @Override
        public void close() {
            readerClosed = true;
        }
    }
}
