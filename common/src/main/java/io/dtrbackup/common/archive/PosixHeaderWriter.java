package io.dtrbackup.common.archive;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * Formats tar headers byte for byte as GNU tar 1.3x does with {@code --format=posix
 * --pax-option=delete=atime,delete=ctime}: a ustar header with the permission bits as 7 octal
 * digits, and, before it, an extended ({@code x}) header named {@code <dir>/PaxHeaders/<base>}
 * only where the ustar fields cannot hold a value: {@code linkpath} for link targets longer than
 * 100 bytes, {@code path} for names longer than 100 bytes or with non-ASCII bytes (the name field
 * then holds the first 100 bytes, as GNU tar writes it), {@code uid}/{@code gid}/{@code size}/
 * {@code devmajor}/{@code devminor} past their octal fields, {@code mtime} with a fraction of a
 * second or out of range, {@code uname}/{@code gname} longer than 32 bytes or non-ASCII. Records
 * come in GNU tar's order. No atime/ctime/xattr records. Written without Commons Compress, whose
 * ustar name truncation re-encodes a long name once per dropped character.
 */
public final class PosixHeaderWriter {
    public static final int BLOCK = 512;
    private static final int NAME = 0;
    private static final int NAME_LEN = 100;
    private static final int MODE = 100;
    private static final int UID = 108;
    private static final int GID = 116;
    private static final int SIZE = 124;
    private static final int MTIME = 136;
    private static final int CHKSUM = 148;
    private static final int TYPEFLAG = 156;
    private static final int LINKNAME = 157;
    private static final int MAGIC = 257;
    private static final int UNAME = 265;
    private static final int GNAME = 297;
    private static final int OWNER_NAME_LEN = 32;
    private static final int DEVMAJOR = 329;
    private static final int DEVMINOR = 337;
    private static final long MAX_OCTAL_7 = 07777777L;
    private static final long MAX_OCTAL_11 = 077777777777L;
    private static final byte[] MAGIC_VERSION = "ustar\00000".getBytes(StandardCharsets.US_ASCII);

    private byte[] out = new byte[4 * BLOCK];
    private int length;
    private final Records records = new Records();

    /** The bytes of the last {@link #format}; valid until the next call. */
    public byte[] array() {
        return out;
    }

    /**
     * Formats the headers of {@code m} (an extended header when needed, then the ustar header)
     * and returns their length in {@link #array()}, a multiple of 512.
     */
    public int format(TarMember m) {
        records.clear();
        byte[] name = m.name().getBytes(StandardCharsets.UTF_8);
        byte[] link = m.linkName() == null ? null : m.linkName().getBytes(StandardCharsets.UTF_8);
        boolean isLink = m.type() == TarMember.SYMLINK || m.type() == TarMember.HARD_LINK;
        // GNU tar stores the link target before it starts the header (write_long_link), then the name.
        if (isLink && link != null && link.length > NAME_LEN) {
            records.add("linkpath", link);
        }
        if (name.length > NAME_LEN || !ascii(name)) {
            records.add("path", name);
        }
        long uid = m.uid();
        if (uid < 0 || uid > MAX_OCTAL_7) {
            records.add("uid", uid);
            uid = 0;
        }
        long gid = m.gid();
        if (gid < 0 || gid > MAX_OCTAL_7) {
            records.add("gid", gid);
            gid = 0;
        }
        long size = m.isRegular() ? m.size() : 0;
        if (size > MAX_OCTAL_11) {
            records.add("size", size);
            size = 0;
        }
        long mtime = m.mtime();
        if (mtime < 0 || mtime > MAX_OCTAL_11 || m.mtimeNanos() != 0) {
            records.add("mtime", timespec(m.mtime(), m.mtimeNanos()));
            if (mtime < 0 || mtime > MAX_OCTAL_11) {
                mtime = 0;
            }
        }
        boolean device = m.type() == TarMember.CHAR_DEVICE || m.type() == TarMember.BLOCK_DEVICE;
        long devMajor = device ? m.devMajor() : 0;
        long devMinor = device ? m.devMinor() : 0;
        if (devMajor < 0 || devMajor > MAX_OCTAL_7) {
            records.add("devmajor", devMajor);
            devMajor = 0;
        }
        if (devMinor < 0 || devMinor > MAX_OCTAL_7) {
            records.add("devminor", devMinor);
            devMinor = 0;
        }
        byte[] uname = bytes(m.uname());
        if (uname.length > OWNER_NAME_LEN || !ascii(uname)) {
            records.add("uname", uname);
        }
        byte[] gname = bytes(m.gname());
        if (gname.length > OWNER_NAME_LEN || !ascii(gname)) {
            records.add("gname", gname);
        }

        length = 0;
        if (records.length > 0) {
            int blocks = 1 + (records.length + BLOCK - 1) / BLOCK;
            int start = reserve(blocks * BLOCK);
            byte[] xname = extendedHeaderName(m.name()).getBytes(StandardCharsets.UTF_8);
            System.arraycopy(xname, 0, out, start + NAME, Math.min(NAME_LEN, xname.length));
            octal(out, start + MODE, 8, 0644);
            octal(out, start + UID, 8, 0);
            octal(out, start + GID, 8, 0);
            octal(out, start + SIZE, 12, records.length);
            octal(out, start + MTIME, 12, Math.max(0, Math.min(m.mtime(), MAX_OCTAL_11)));
            out[start + TYPEFLAG] = 'x';
            System.arraycopy(MAGIC_VERSION, 0, out, start + MAGIC, MAGIC_VERSION.length);
            checksum(out, start);
            System.arraycopy(records.bytes, 0, out, start + BLOCK, records.length);
        }
        int h = reserve(BLOCK);
        System.arraycopy(name, 0, out, h + NAME, Math.min(NAME_LEN, name.length));
        octal(out, h + MODE, 8, m.mode() & 07777);
        octal(out, h + UID, 8, uid);
        octal(out, h + GID, 8, gid);
        octal(out, h + SIZE, 12, size);
        octal(out, h + MTIME, 12, mtime);
        out[h + TYPEFLAG] = m.type();
        if (link != null) {
            System.arraycopy(link, 0, out, h + LINKNAME, Math.min(NAME_LEN, link.length));
        }
        System.arraycopy(MAGIC_VERSION, 0, out, h + MAGIC, MAGIC_VERSION.length);
        System.arraycopy(uname, 0, out, h + UNAME, Math.min(OWNER_NAME_LEN, uname.length));
        System.arraycopy(gname, 0, out, h + GNAME, Math.min(OWNER_NAME_LEN, gname.length));
        octal(out, h + DEVMAJOR, 8, devMajor);
        octal(out, h + DEVMINOR, 8, devMinor);
        checksum(out, h);
        return length;
    }

    /** GNU tar's default {@code exthdr.name}, {@code %d/PaxHeaders/%f}, cut to the 100-byte name field. */
    static String extendedHeaderName(String memberName) {
        String n = memberName;
        while (n.length() > 1 && n.endsWith("/")) {
            n = n.substring(0, n.length() - 1);
        }
        int slash = n.lastIndexOf('/');
        String dir = slash < 0 ? "." : slash == 0 ? "/" : n.substring(0, slash);
        return dir + "/PaxHeaders/" + n.substring(slash + 1);
    }

    /** GNU tar's code_timespec: seconds, then a fraction without trailing zeros (none when 0). */
    static String timespec(long seconds, int nanos) {
        if (nanos == 0) {
            return Long.toString(seconds);
        }
        long s = seconds;
        int ns = nanos;
        boolean negative = s < 0;
        if (negative) {
            s++;
            ns = 1_000_000_000 - ns;
        }
        String fraction = String.format("%09d", ns).replaceAll("0+$", "");
        return (negative ? "-" + Math.abs(s) : Long.toString(s)) + "." + fraction;
    }

    private int reserve(int n) {
        if (length + n > out.length) {
            out = Arrays.copyOf(out, Math.max(out.length * 2, length + n));
        }
        int start = length;
        Arrays.fill(out, start, start + n, (byte) 0);
        length += n;
        return start;
    }

    private static byte[] bytes(String s) {
        return s == null ? new byte[0] : s.getBytes(StandardCharsets.UTF_8);
    }

    private static boolean ascii(byte[] b) {
        for (byte x : b) {
            if (x < 0) {
                return false;
            }
        }
        return true;
    }

    /** {@code width - 1} zero-padded octal digits and a NUL, as GNU tar writes numeric fields. */
    private static void octal(byte[] b, int off, int width, long value) {
        int end = off + width - 1;
        b[end] = 0;
        long v = value;
        for (int i = end - 1; i >= off; i--) {
            b[i] = (byte) ('0' + (v & 7));
            v >>>= 3;
        }
    }

    /** Unsigned sum of the block with the checksum field as spaces: 6 octal digits, NUL, space. */
    private static void checksum(byte[] b, int off) {
        Arrays.fill(b, off + CHKSUM, off + CHKSUM + 8, (byte) ' ');
        long sum = 0;
        for (int i = off; i < off + BLOCK; i++) {
            sum += b[i] & 0xff;
        }
        octal(b, off + CHKSUM, 7, sum);
        b[off + CHKSUM + 7] = ' ';
    }

    /** PAX records {@code "<len> <key>=<value>\n"}, the length counting itself. */
    private static final class Records {
        byte[] bytes = new byte[1024];
        int length;

        void clear() {
            length = 0;
        }

        void add(String key, long value) {
            add(key, Long.toString(value).getBytes(StandardCharsets.US_ASCII));
        }

        void add(String key, String value) {
            add(key, value.getBytes(StandardCharsets.UTF_8));
        }

        void add(String key, byte[] value) {
            byte[] k = key.getBytes(StandardCharsets.US_ASCII);
            int base = k.length + value.length + 3; // ' ', '=', '\n'
            int digits = Integer.toString(base).length();
            int total = base + digits;
            if (Integer.toString(total).length() > digits) {
                total++;
            }
            byte[] len = Integer.toString(total).getBytes(StandardCharsets.US_ASCII);
            if (length + total > bytes.length) {
                bytes = Arrays.copyOf(bytes, Math.max(bytes.length * 2, length + total));
            }
            System.arraycopy(len, 0, bytes, length, len.length);
            length += len.length;
            bytes[length++] = ' ';
            System.arraycopy(k, 0, bytes, length, k.length);
            length += k.length;
            bytes[length++] = '=';
            System.arraycopy(value, 0, bytes, length, value.length);
            length += value.length;
            bytes[length++] = '\n';
        }
    }
}
