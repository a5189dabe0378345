package io.dtrbackup.metadata;

import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.io.OutputStream;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * A bounded in-memory byte pipe between one writer thread and one reader thread. Unlike
 * {@link java.io.PipedInputStream} it does not tie itself to the liveness of the threads (docker-java
 * delivers frames on its own threads, the upload reads on a pool thread), and either side can end it
 * with a cause: {@link #fail(IOException)} makes the reader's next read throw, so an upload reading
 * from the pipe aborts instead of completing a partial object; {@link #abortReader()} makes the
 * writer's writes throw, so a producer never blocks on a reader that has gone.
 */
final class BoundedPipe {
    private final byte[] ring;
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition notEmpty = lock.newCondition();
    private final Condition notFull = lock.newCondition();
    private int head; // next byte to read
    private int size; // bytes buffered
    private boolean writerClosed;
    private IOException failure;
    private boolean readerGone;

    BoundedPipe(int capacity) {
        if (capacity < 1) {
            throw new IllegalArgumentException("capacity must be positive");
        }
        ring = new byte[capacity];
    }

    /** Blocks while the pipe is full. Throws once the reader is gone or the pipe was failed. */
    void write(byte[] data, int offset, int length) throws IOException {
        lock.lock();
        try {
            while (length > 0) {
                while (size == ring.length && !readerGone && failure == null) {
                    notFull.awaitUninterruptibly();
                }
                if (readerGone) {
                    throw new IOException("pipe reader is gone");
                }
                if (failure != null || writerClosed) {
                    throw new IOException("pipe is closed for writing");
                }
                int tail = (head + size) % ring.length;
                int n = Math.min(length, Math.min(ring.length - size, ring.length - tail));
                System.arraycopy(data, offset, ring, tail, n);
                size += n;
                offset += n;
                length -= n;
                notEmpty.signal();
            }
        } finally {
            lock.unlock();
        }
    }

    /** Blocks while the pipe is empty; -1 after {@link #close()} once everything is read. */
    int read(byte[] buffer, int offset, int length) throws IOException {
        if (length == 0) {
            return 0;
        }
        lock.lock();
        try {
            while (size == 0 && !writerClosed && failure == null) {
                try {
                    notEmpty.await();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new InterruptedIOException("interrupted reading the pipe");
                }
            }
            if (failure != null) {
                throw new IOException(failure.getMessage(), failure);
            }
            if (size == 0) {
                return -1;
            }
            int n = Math.min(length, Math.min(size, ring.length - head));
            System.arraycopy(ring, head, buffer, offset, n);
            head = (head + n) % ring.length;
            size -= n;
            notFull.signal();
            return n;
        } finally {
            lock.unlock();
        }
    }

    /** End of data: the reader gets what is buffered, then end-of-stream. */
    void close() {
        lock.lock();
        try {
            writerClosed = true;
            notEmpty.signalAll();
            notFull.signalAll();
        } finally {
            lock.unlock();
        }
    }

    /** Ends the pipe with an error the reader sees at its next read (buffered bytes are dropped). */
    void fail(IOException cause) {
        lock.lock();
        try {
            if (failure == null) {
                failure = cause; // also after close(): a reader not yet at EOF must not see a clean end
            }
            notEmpty.signalAll();
            notFull.signalAll();
        } finally {
            lock.unlock();
        }
    }

    /** The reader stops: writers fail instead of blocking. */
    void abortReader() {
        lock.lock();
        try {
            readerGone = true;
            notFull.signalAll();
        } finally {
            lock.unlock();
        }
    }

    InputStream inputStream() {
        return new InputStream() {
            @Override
            public int read() throws IOException {
                byte[] one = new byte[1];
                int n = BoundedPipe.this.read(one, 0, 1);
                return n < 0 ? -1 : one[0] & 0xff;
            }

            @Override
            public int read(byte[] b, int off, int len) throws IOException {
                return BoundedPipe.this.read(b, off, len);
            }

            @Override
            public void close() {
                abortReader();
            }
        };
    }

    OutputStream outputStream() {
        return new OutputStream() {
            @Override
            public void write(int b) throws IOException {
                BoundedPipe.this.write(new byte[] {(byte) b}, 0, 1);
            }

            @Override
            public void write(byte[] b, int off, int len) throws IOException {
                BoundedPipe.this.write(b, off, len);
            }

            @Override
            public void close() {
                BoundedPipe.this.close();
            }
        };
    }
}
