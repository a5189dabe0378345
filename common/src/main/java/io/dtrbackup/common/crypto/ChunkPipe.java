package io.dtrbackup.common.crypto;

import io.dtrbackup.common.archive.BulkInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

/**
 * A bounded hand-off of byte chunks between two threads of the decryption pipeline, with
 * recycled buffers (1 MiB arrays are humongous objects for G1: reuse beats reallocating) and an
 * in-band end or error. Memory is bounded by {@code capacity + 2} buffers.
 */
final class ChunkPipe {
    private record Chunk(byte[] data, int off, int len, Throwable error) {
        static final Chunk END = new Chunk(null, 0, 0, null);
    }

    private final BlockingQueue<Chunk> queue;
    private final BlockingQueue<byte[]> free;
    private final int bufferSize;

    ChunkPipe(int capacity, int bufferSize) {
        this.queue = new ArrayBlockingQueue<>(capacity);
        this.free = new ArrayBlockingQueue<>(capacity + 2);
        this.bufferSize = bufferSize;
    }

    /** A buffer to fill, recycled when one is free. */
    byte[] buffer() {
        byte[] b = free.poll();
        return b != null ? b : new byte[bufferSize];
    }

    void recycle(byte[] b) {
        if (b != null && b.length == bufferSize) {
            free.offer(b);
        }
    }

    /** Hands a filled buffer to the reader; waits while the pipe is full unless {@code cancelled}. */
    boolean put(byte[] data, int off, int len, BooleanSupplier cancelled) throws InterruptedException {
        return offer(new Chunk(data, off, len, null), cancelled);
    }

    void end(BooleanSupplier cancelled) throws InterruptedException {
        offer(Chunk.END, cancelled);
    }

    void fail(Throwable error, BooleanSupplier cancelled) throws InterruptedException {
        offer(new Chunk(null, 0, 0, error), cancelled);
    }

    private boolean offer(Chunk chunk, BooleanSupplier cancelled) throws InterruptedException {
        while (!queue.offer(chunk, 50, TimeUnit.MILLISECONDS)) {
            if (cancelled.getAsBoolean()) {
                return false;
            }
        }
        return true;
    }

    /** The reading end: returns -1 after END, throws the producer's error after an error chunk. */
    InputStream inputStream() {
        return new BulkInputStream() {
            private Chunk current;
            private int pos;
            private boolean ended;

            @Override
            public int read(byte[] b, int off, int len) throws IOException {
                if (len == 0) {
                    return 0;
                }
                while (current == null || pos == current.off() + current.len()) {
                    if (ended) {
                        return -1;
                    }
                    if (current != null) {
                        recycle(current.data());
                        current = null;
                    }
                    Chunk next;
                    try {
                        next = queue.take();
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                        throw new InterruptedIOException("interrupted while waiting for data");
                    }
                    if (next == Chunk.END) {
                        ended = true;
                        return -1;
                    }
                    if (next.error() != null) {
                        ended = true;
                        throw new UpstreamException(next.error());
                    }
                    current = next;
                    pos = next.off();
                }
                int n = Math.min(len, current.off() + current.len() - pos);
                System.arraycopy(current.data(), pos, b, off, n);
                pos += n;
                return n;
            }
        };
    }

    /** Discards everything up to the end (or an error), recycling buffers, so the producer never blocks. */
    void drain(BooleanSupplier producerDone) {
        try {
            while (true) {
                Chunk c = queue.poll(50, TimeUnit.MILLISECONDS);
                if (c == null) {
                    if (producerDone.getAsBoolean() && queue.isEmpty()) {
                        return;
                    }
                    continue;
                }
                if (c == Chunk.END || c.error() != null) {
                    return;
                }
                recycle(c.data());
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** The producing stage failed; its own error is reported by the pipeline, this only unblocks readers. */
    static final class UpstreamException extends IOException {
        UpstreamException(Throwable cause) {
            super("the previous pipeline stage failed: " + cause.getMessage(), cause);
        }
    }
}
