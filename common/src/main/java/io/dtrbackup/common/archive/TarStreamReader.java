package io.dtrbackup.common.archive;

import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.math.BigDecimal;
import java.math.RoundingMode;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;

/**
 * Reads a tar stream header by header: ustar (name prefix), GNU ({@code L}/{@code K} long names,
 * base-256 numbers) and PAX ({@code x}, {@code g}: path, linkpath, size, uid, gid, uname,
 * gname, mtime; other keys such as atime/ctime/xattrs are dropped). After a member with data the
 * caller passes it on with {@link #transferData}, reads it through {@link #data}, or drops it with
 * {@link #skipData}. Only metadata is held in memory (extended headers up to 1 MiB). The end of
 * the archive (a zero block) must be present: a stream that simply stops is a truncated archive
 * ({@link MissingEndException}, which a caller that judges the end itself may take as the end).
 * A folder's name ends with '/' even where its ustar header or GNU long name leaves it off; a PAX
 * {@code path} is taken as written.
 * <p>Strictness, on purpose: every header's checksum is checked (a damaged header is an error,
 * never skipped); sparse ({@code S}, PAX {@code GNU.sparse.*}), multi-volume and vendor entries are
 * refused by name rather than misread; names are UTF-8 and given exactly as stored, a leading
 * {@code /} or a {@code ..} included: verification must see what a restore would see, and
 * whatever writes members to a file system refuses the ones that escape its folder.
 */
public final class TarStreamReader {
    private static final int BLOCK = 512;
    private static final int MAX_META = 1 << 20;
    private static final byte[] EMPTY = new byte[0];

    private final InputStream in;
    private final DirectTransfer direct;
    private final byte[] block = new byte[BLOCK];
    private byte[] scratch;
    private Map<String, String> global;
    private long offset;
    private long pendingData;
    private int pendingPadding;

    /**
     * The stream ended where the next header (or the end-of-archive block) should begin, or inside
     * that header, with no extended header waiting for its member: every member so far is whole,
     * only the end-of-archive block is missing.
     */
    public static final class MissingEndException extends EOFException {
        MissingEndException(String message) {
            super(message);
        }
    }

    public TarStreamReader(InputStream in) {
        this.in = in;
        this.direct = in instanceof DirectTransfer d ? d : null;
    }

    /** Bytes of the stream consumed so far (for messages). */
    public long offset() {
        return offset;
    }

    /**
     * The next member, or null at the end-of-archive block (the rest of the stream is then read
     * and dropped). Throws {@link MissingEndException} when the stream ends without that block
     * (the message says "empty" when it ends before the first byte).
     */
    public TarMember next() throws IOException {
        if (pendingData != 0 || pendingPadding != 0) {
            throw new IllegalStateException("the data of the previous member was not consumed");
        }
        Map<String, String> pax = null;
        byte[] longName = null;
        byte[] longLink = null;
        while (true) {
            long headerAt = offset;
            boolean whole;
            try {
                whole = readBlock();
            } catch (EOFException insideHeader) {
                throw pax == null && longName == null && longLink == null
                        ? new MissingEndException(insideHeader.getMessage()) : insideHeader;
            }
            if (!whole) {
                String message = headerAt == 0 ? "the archive is empty"
                        : "the archive ends at byte " + headerAt + " without its end-of-archive block (truncated)";
                throw pax == null && longName == null && longLink == null
                        ? new MissingEndException(message) : new EOFException(message);
            }
            if (isZero(block)) {
                if (pax != null || longName != null || longLink != null) {
                    throw new IOException("extended header without its member at byte " + headerAt);
                }
                drain();
                return null;
            }
            verifyChecksum(headerAt);
            byte type = block[156];
            long size = number(124, 12, "size", headerAt);
            switch (type) {
                case 'x', 'X' -> {
                    if (pax == null) {
                        pax = new HashMap<>();
                    }
                    parsePax(readMeta(size, "extended header", headerAt), pax, headerAt);
                }
                case 'g' -> {
                    if (global == null) {
                        global = new HashMap<>();
                    }
                    parsePax(readMeta(size, "global extended header", headerAt), global, headerAt);
                }
                case 'L' -> longName = cString(readMeta(size, "GNU long name", headerAt));
                case 'K' -> longLink = cString(readMeta(size, "GNU long link name", headerAt));
                case '0', 0, '7', '1', '2', '3', '4', '5', '6' -> {
                    return member(type, size, pax, longName, longLink, headerAt);
                }
                default -> throw new IOException("unsupported tar entry type '" + (char) type + "' at byte "
                        + headerAt + " (sparse, multi-volume and vendor entries are not expected from the engine)");
            }
        }
    }

    /** Writes the current member's data to {@code out} (exactly its size) and skips its padding. */
    public void transferData(OutputStream out) throws IOException {
        long n = pendingData;
        pendingData = 0;
        if (direct != null) {
            direct.transferExactly(out, n);
            offset += n;
        } else {
            byte[] buffer = scratch();
            while (n > 0) {
                int k = in.read(buffer, 0, (int) Math.min(buffer.length, n));
                if (k < 0) {
                    throw new EOFException("the archive ends inside a file (" + n + " bytes missing)");
                }
                out.write(buffer, 0, k);
                offset += k;
                n -= k;
            }
        }
        skipPadding();
    }

    /**
     * The current member's data as a stream that ends after its size; valid until
     * {@link #skipData}, which must follow (it drops what was not read, and the padding).
     */
    public InputStream data() {
        return new InputStream() {
            @Override
            public int read() throws IOException {
                byte[] one = new byte[1];
                return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
            }

            @Override
            public int read(byte[] b, int off, int len) throws IOException {
                if (pendingData == 0) {
                    return -1;
                }
                if (len == 0) {
                    return 0;
                }
                int k = in.read(b, off, (int) Math.min(len, pendingData));
                if (k < 0) {
                    throw new EOFException("the archive ends inside an entry (" + pendingData + " bytes missing)");
                }
                offset += k;
                pendingData -= k;
                return k;
            }
        };
    }

    /**
     * Drops the current member's data (a link or folder that carries some, or what {@link #data}
     * left unread) and its padding.
     */
    public void skipData() throws IOException {
        long n = pendingData;
        pendingData = 0;
        skip(n);
        skipPadding();
    }

    private TarMember member(byte type, long size, Map<String, String> pax, byte[] longName, byte[] longLink,
            long headerAt) throws IOException {
        String name;
        String p = value(pax, "path");
        if (p != null) {
            name = p;
        } else if (longName != null) {
            name = utf8(longName, 0, longName.length);
        } else {
            name = field(0, 100);
            if (isUstar() && block[345] != 0) {
                name = field(345, 155) + "/" + name;
            }
        }
        String link;
        String lp = value(pax, "linkpath");
        if (lp != null) {
            link = lp;
        } else if (longLink != null) {
            link = utf8(longLink, 0, longLink.length);
        } else {
            link = field(157, 100);
        }
        long mtime;
        int nanos = 0;
        String mt = value(pax, "mtime");
        if (mt != null) {
            BigDecimal t = decimal(mt, "mtime", headerAt);
            try {
                BigDecimal seconds = t.setScale(0, RoundingMode.FLOOR);
                mtime = seconds.longValueExact();
                nanos = t.subtract(seconds).movePointRight(9).setScale(0, RoundingMode.DOWN).intValueExact();
            } catch (ArithmeticException e) {
                throw badPax("mtime", mt, headerAt);
            }
        } else {
            mtime = number(136, 12, "mtime", headerAt);
        }
        String paxSize = value(pax, "size");
        if (paxSize != null) {
            size = decimalLong(paxSize, "size", headerAt);
        }
        long uid = paxNumber(pax, "uid", number(108, 8, "uid", headerAt), headerAt);
        long gid = paxNumber(pax, "gid", number(116, 8, "gid", headerAt), headerAt);
        String un = value(pax, "uname");
        String gn = value(pax, "gname");
        String uname = un != null ? un : field(265, 32);
        String gname = gn != null ? gn : field(297, 32);
        if (value(pax, "GNU.sparse.map") != null || value(pax, "GNU.sparse.size") != null
                || value(pax, "GNU.sparse.major") != null) {
            throw new IOException("sparse file '" + name + "' at byte " + headerAt + " is not supported");
        }
        int mode = (int) (number(100, 8, "mode", headerAt) & 07777);
        byte kind = switch (type) {
            case 0, '7' -> TarMember.REGULAR;
            default -> type;
        };
        if (kind == TarMember.REGULAR && name.endsWith("/")) {
            kind = TarMember.DIRECTORY; // old tars mark folders only by the trailing slash
        } else if (kind == TarMember.DIRECTORY && p == null && !name.endsWith("/")) {
            name += "/"; // SunOS tar and hand-made headers leave it off
        }
        long devMajor = 0;
        long devMinor = 0;
        if (kind == TarMember.CHAR_DEVICE || kind == TarMember.BLOCK_DEVICE) {
            devMajor = paxNumber(pax, "devmajor", number(329, 8, "devmajor", headerAt), headerAt);
            devMinor = paxNumber(pax, "devminor", number(337, 8, "devminor", headerAt), headerAt);
        }
        if (size < 0) {
            throw new IOException("negative size at byte " + headerAt);
        }
        pendingData = size;
        pendingPadding = padding(size);
        return new TarMember(name, kind, mode, uid, gid, size, mtime, nanos,
                kind == TarMember.SYMLINK || kind == TarMember.HARD_LINK ? link : null, uname, gname, devMajor,
                devMinor);
    }

    private String value(Map<String, String> pax, String key) {
        String v = pax == null ? null : pax.get(key);
        if (v == null && global != null) {
            v = global.get(key);
        }
        return v;
    }

    private long paxNumber(Map<String, String> pax, String key, long fallback, long headerAt) throws IOException {
        String v = value(pax, key);
        return v == null ? fallback : decimalLong(v, key, headerAt);
    }

    private static BigDecimal decimal(String v, String key, long headerAt) throws IOException {
        try {
            return new BigDecimal(v.trim());
        } catch (NumberFormatException | ArithmeticException e) {
            throw badPax(key, v, headerAt);
        }
    }

    private static long decimalLong(String v, String key, long headerAt) throws IOException {
        try {
            return decimal(v, key, headerAt).longValueExact();
        } catch (ArithmeticException e) {
            throw badPax(key, v, headerAt);
        }
    }

    private static IOException badPax(String key, String v, long headerAt) {
        return new IOException("bad PAX " + key + " '" + v + "' at byte " + headerAt);
    }

    private boolean isUstar() {
        // "ustar\0" (POSIX); GNU's "ustar  \0" has no prefix field.
        return block[257] == 'u' && block[258] == 's' && block[259] == 't' && block[260] == 'a' && block[261] == 'r'
                && block[262] == 0;
    }

    private String field(int off, int len) {
        int end = off;
        while (end < off + len && block[end] != 0) {
            end++;
        }
        return utf8(block, off, end - off);
    }

    private static String utf8(byte[] b, int off, int len) {
        return new String(b, off, len, StandardCharsets.UTF_8);
    }

    private static byte[] cString(byte[] b) {
        int end = 0;
        while (end < b.length && b[end] != 0) {
            end++;
        }
        return end == b.length ? b : Arrays.copyOf(b, end);
    }

    /** An octal field (spaces/NULs around the digits) or GNU base-256 (high bit of the first byte). */
    private long number(int off, int len, String what, long headerAt) throws IOException {
        byte first = block[off];
        if ((first & 0x80) != 0) {
            boolean negative = (first & 0x40) != 0;
            long v = first & 0x3f;
            if (negative) {
                v |= ~0x3fL; // sign-extend the 6 value bits
            }
            for (int i = off + 1; i < off + len; i++) {
                if (((v << 8) >> 8) != v) {
                    throw new IOException("base-256 " + what + " too large at byte " + headerAt);
                }
                v = (v << 8) | (block[i] & 0xff);
            }
            return v;
        }
        int i = off;
        int end = off + len;
        while (i < end && (block[i] == ' ' || block[i] == 0)) {
            i++;
        }
        long v = 0;
        for (; i < end; i++) {
            byte c = block[i];
            if (c == ' ' || c == 0) {
                break;
            }
            if (c < '0' || c > '7') {
                throw new IOException("bad octal " + what + " in the tar header at byte " + headerAt);
            }
            v = (v << 3) | (c - '0');
        }
        return v;
    }

    private void verifyChecksum(long headerAt) throws IOException {
        long expected = number(148, 8, "checksum", headerAt);
        long unsigned = 0;
        long signed = 0;
        for (int i = 0; i < BLOCK; i++) {
            byte b = (i >= 148 && i < 156) ? (byte) ' ' : block[i];
            unsigned += b & 0xff;
            signed += b;
        }
        if (expected != unsigned && expected != signed) {
            throw new IOException("corrupt tar header at byte " + headerAt + " (checksum mismatch)");
        }
    }

    private byte[] readMeta(long size, String what, long headerAt) throws IOException {
        if (size > MAX_META) {
            throw new IOException(what + " of " + size + " bytes at byte " + headerAt + " is larger than "
                    + MAX_META);
        }
        byte[] data = size == 0 ? EMPTY : new byte[(int) size];
        readFully(data, 0, data.length);
        skipPadding(size);
        return data;
    }

    /** PAX records "len key=value\n"; an empty value deletes the key (POSIX). */
    private static void parsePax(byte[] data, Map<String, String> into, long headerAt) throws IOException {
        int i = 0;
        while (i < data.length) {
            if (data[i] == 0) {
                break; // NUL padding some writers leave
            }
            int space = i;
            int len = 0;
            while (space < data.length && data[space] >= '0' && data[space] <= '9') {
                len = len * 10 + (data[space] - '0');
                if (len > data.length) {
                    break;
                }
                space++;
            }
            if (space == i || space >= data.length || data[space] != ' ' || len <= 0 || i + len > data.length
                    || data[i + len - 1] != '\n') {
                throw new IOException("malformed PAX record in the extended header at byte " + headerAt);
            }
            int eq = space + 1;
            while (eq < i + len - 1 && data[eq] != '=') {
                eq++;
            }
            if (eq >= i + len - 1) {
                throw new IOException("malformed PAX record in the extended header at byte " + headerAt);
            }
            String key = utf8(data, space + 1, eq - space - 1);
            String value = utf8(data, eq + 1, i + len - 1 - (eq + 1));
            if (value.isEmpty()) {
                into.remove(key);
            } else {
                into.put(key, value);
            }
            i += len;
        }
    }

    /** Skips the padding after the current member's data. */
    private void skipPadding() throws IOException {
        int pad = pendingPadding;
        pendingPadding = 0;
        if (pad > 0) {
            readFully(scratch(), 0, pad);
        }
    }

    private void skipPadding(long size) throws IOException {
        int pad = padding(size);
        if (pad > 0) {
            readFully(scratch(), 0, pad);
        }
    }

    /** Zero bytes that round {@code size} up to whole blocks. */
    public static int padding(long size) {
        return (int) ((BLOCK - size % BLOCK) % BLOCK);
    }

    private void skip(long n) throws IOException {
        byte[] buffer = scratch();
        while (n > 0) {
            int k = in.read(buffer, 0, (int) Math.min(buffer.length, n));
            if (k < 0) {
                throw new EOFException("the archive ends inside an entry (" + n + " bytes missing)");
            }
            offset += k;
            n -= k;
        }
    }

    /** Reads and drops what follows the end-of-archive block (the second zero block, padding). */
    private void drain() throws IOException {
        byte[] buffer = scratch();
        for (int k = in.read(buffer); k >= 0; k = in.read(buffer)) {
            offset += k;
        }
    }

    /** A whole block, or false at a clean end of the stream before its first byte. */
    private boolean readBlock() throws IOException {
        int n = 0;
        while (n < BLOCK) {
            int k = in.read(block, n, BLOCK - n);
            if (k < 0) {
                if (n == 0) {
                    return false;
                }
                throw new EOFException("the archive ends inside a header at byte " + offset);
            }
            n += k;
            offset += k;
        }
        return true;
    }

    private void readFully(byte[] b, int off, int len) throws IOException {
        while (len > 0) {
            int k = in.read(b, off, len);
            if (k < 0) {
                throw new EOFException("the archive ends at byte " + offset + " (" + len + " bytes missing)");
            }
            off += k;
            len -= k;
            offset += k;
        }
    }

    private byte[] scratch() {
        if (scratch == null) {
            scratch = new byte[64 * 1024];
        }
        return scratch;
    }

    private static boolean isZero(byte[] b) {
        for (byte x : b) {
            if (x != 0) {
                return false;
            }
        }
        return true;
    }
}
