package io.dtrbackup.common.crypto;

import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;

/**
 * An OpenPGP packet header (RFC 4880 section 4.2), old or new format.
 *
 * @param length body length, or the first part's length when {@code partial}, or -1 when
 *        indeterminate (old format, length type 3: up to the end of the enclosing stream)
 */
record PacketHeader(int tag, long length, boolean partial) {
    static final int SKESK = 3;
    static final int COMPRESSED = 8;
    static final int SED = 9;
    static final int MARKER = 10;
    static final int LITERAL = 11;
    static final int SEIPD = 18;
    static final int MDC = 19;

    /** Reads a header; null at a clean end of stream (before the first header byte). */
    static PacketHeader read(InputStream in) throws IOException {
        int b = in.read();
        if (b < 0) {
            return null;
        }
        if ((b & 0x80) == 0) {
            throw new IOException(String.format("not an OpenPGP packet header (byte 0x%02x)", b));
        }
        if ((b & 0x40) != 0) {
            // A new-format header's length is encoded like the length of a partial body's next part.
            return readPartLength(b & 0x3f, in);
        }
        int tag = (b >> 2) & 0x0f;
        return switch (b & 3) {
            case 0 -> new PacketHeader(tag, readByte(in), false);
            case 1 -> new PacketHeader(tag, (readByte(in) << 8) | readByte(in), false);
            case 2 -> new PacketHeader(tag, readFourOctets(in), false);
            default -> new PacketHeader(tag, -1, false);
        };
    }

    /** The length of the next part of a partial-length body: partial again, or the last (definite) part. */
    static PacketHeader readPartLength(int tag, InputStream in) throws IOException {
        int first = readByte(in);
        if (first < 192) {
            return new PacketHeader(tag, first, false);
        }
        if (first < 224) {
            return new PacketHeader(tag, ((first - 192) << 8) + readByte(in) + 192, false);
        }
        if (first == 255) {
            return new PacketHeader(tag, readFourOctets(in), false);
        }
        return new PacketHeader(tag, 1L << (first & 0x1f), true);
    }

    static int readByte(InputStream in) throws IOException {
        int b = in.read();
        if (b < 0) {
            throw new EOFException("the stream ends inside a packet header");
        }
        return b;
    }

    private static long readFourOctets(InputStream in) throws IOException {
        return ((long) readByte(in) << 24) | (readByte(in) << 16) | (readByte(in) << 8) | readByte(in);
    }
}
