package io.dtrbackup.metadata;

import java.nio.charset.StandardCharsets;

/** The last {@code capacity} bytes written to a container's stderr: enough for the failure report, bounded. */
final class StderrTail {
    private final byte[] ring;
    private long total;

    StderrTail(int capacity) {
        ring = new byte[capacity];
    }

    synchronized void write(byte[] data, int offset, int length) {
        // Bytes that would be overwritten within this same write are counted, not copied.
        int skip = Math.max(0, length - ring.length);
        total += skip;
        for (int i = offset + skip; i < offset + length; i++) {
            ring[(int) (total % ring.length)] = data[i];
            total++;
        }
    }

    synchronized long totalBytes() {
        return total;
    }

    /** The kept bytes as UTF-8 (a character split at the start shows as a replacement char). */
    synchronized String text() {
        int n = (int) Math.min(total, ring.length);
        byte[] out = new byte[n];
        long start = total - n;
        for (int i = 0; i < n; i++) {
            out[i] = ring[(int) ((start + i) % ring.length)];
        }
        return new String(out, StandardCharsets.UTF_8);
    }
}
