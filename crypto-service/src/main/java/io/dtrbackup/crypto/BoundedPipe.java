package io.dtrbackup.crypto;

import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.io.OutputStream;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * A bounded byte pipe between two threads (the encrypting writer and the S3 upload reader), in
 * reused chunks so memory stays at {@code chunks x chunkSize}. Unlike {@code PipedInputStream}
 * it moves whole chunks and carries failures both ways:
 * <ul>
 * <li>{@link #fail} by the writer makes the reader's next read throw, so the upload is aborted
 * and never completed;</li>
 * <li>a reader that closes before the end makes the writer's next write throw, so the
 * encryption stops.</li>
 * </ul>
 * EOF reaches the reader only when the writer closes the sink.
 */
final class BoundedPipe {
    private record Chunk(byte[] data, int length) {
    }

    private static final Chunk EOF = new Chunk(new byte[0], 0);
    private static final long POLL_MS = 200;

    private final int chunkSize;
    private final BlockingQueue<Chunk> full;
    private final BlockingQueue<byte[]> free;
    private volatile Throwable writerFailure;
    private volatile boolean readerClosed;
    private final Sink sink = new Sink();
    private final Source source = new Source();

    BoundedPipe(int chunkSize, int chunks) {
        if (chunks < 1 || chunkSize < 1) {
            throw new IllegalArgumentException("chunks and chunkSize must be positive");
        }
        this.chunkSize = chunkSize;
        this.full = new ArrayBlockingQueue<>(chunks);
        this.free = new ArrayBlockingQueue<>(chunks + 1);
    }

    static BoundedPipe ofBytes(int totalBytes) {
        int chunk = 1 << 20;
        return new BoundedPipe(chunk, Math.max(2, totalBytes / chunk));
    }

    OutputStream sink() {
        return sink;
    }

    InputStream source() {
        return source;
    }

    /** The reader gave up (the upload failed): the writer's next write throws. */
    void abortReading() {
        source.close();
    }

    /** The writer gave up: the reader's next read throws with this cause. */
    void fail(Throwable cause) {
        writerFailure = cause;
    }

    private final class Sink extends OutputStream {
        private byte[] buffer;
        private int count;
        private boolean closed;

        @Override
        public void write(int b) throws IOException {
            write(new byte[] {(byte) b}, 0, 1);
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
            check();
            while (len > 0) {
                if (buffer == null) {
                    byte[] reused = free.poll();
                    buffer = reused != null ? reused : new byte[chunkSize];
                    count = 0;
                }
                int n = Math.min(len, chunkSize - count);
                System.arraycopy(b, off, buffer, count, n);
                count += n;
                off += n;
                len -= n;
                if (count == chunkSize) {
                    push();
                }
            }
        }

        @Override
        public void flush() throws IOException {
            // Chunks move when full or on close; flushing a partial chunk would only fragment it.
            check();
        }

        @Override
        public void close() throws IOException {
            if (closed) {
                return;
            }
            check();
            if (buffer != null && count > 0) {
                push();
            }
            enqueue(EOF);
            closed = true;
        }

        private void push() throws IOException {
            enqueue(new Chunk(buffer, count));
            buffer = null;
            count = 0;
        }

        private void enqueue(Chunk chunk) throws IOException {
            try {
                while (!full.offer(chunk, POLL_MS, TimeUnit.MILLISECONDS)) {
                    check();
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new InterruptedIOException("interrupted writing to the upload pipe");
            }
        }

        private void check() throws IOException {
            if (closed) {
                throw new IOException("pipe closed");
            }
            if (readerClosed) {
                throw new IOException("the upload stopped reading (upload failed or aborted)");
            }
        }
    }

    private final class Source extends InputStream {
        private byte[] current;
        private int length;
        private int pos;
        private boolean eof;

        @Override
        public int read() throws IOException {
            byte[] one = new byte[1];
            int n = read(one, 0, 1);
            return n < 0 ? -1 : one[0] & 0xff;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            checkWriter();
            if (len == 0) {
                return 0;
            }
            if (eof) {
                return -1;
            }
            while (current == null || pos == length) {
                if (current != null) {
                    free.offer(current);
                    current = null;
                }
                Chunk next = take();
                if (next == EOF) {
                    checkWriter();
                    eof = true;
                    return -1;
                }
                current = next.data();
                length = next.length();
                pos = 0;
            }
            int n = Math.min(len, length - pos);
            System.arraycopy(current, pos, b, off, n);
            pos += n;
            return n;
        }

        private Chunk take() throws IOException {
            try {
                Chunk next;
                while ((next = full.poll(POLL_MS, TimeUnit.MILLISECONDS)) == null) {
                    checkWriter();
                }
                return next;
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new InterruptedIOException("interrupted reading the upload pipe");
            }
        }

        private void checkWriter() throws IOException {
            Throwable failure = writerFailure;
            if (failure != null) {
                throw new IOException("the encrypting side failed: " + failure.getMessage(), failure);
            }
        }

        @Override
        public int available() {
            return current == null ? 0 : length - pos;
        }

        @Override
        public void close() {
            readerClosed = true;
            full.clear();
        }
    }
}
