package io.dtrbackup.common.archive;

/**
 * One tar member's header as read or to be written. {@code mode} holds the permission bits
 * (07777); the kind is {@code type}, a ustar type flag. {@code mtimeNanos} is the fraction of the
 * second a PAX {@code mtime} record carried (0 almost always: the engine truncates to seconds).
 */
public record TarMember(String name, byte type, int mode, long uid, long gid, long size, long mtime, int mtimeNanos,
        String linkName, String uname, String gname, long devMajor, long devMinor) {
    public static final byte REGULAR = '0';
    public static final byte HARD_LINK = '1';
    public static final byte SYMLINK = '2';
    public static final byte CHAR_DEVICE = '3';
    public static final byte BLOCK_DEVICE = '4';
    public static final byte DIRECTORY = '5';
    public static final byte FIFO = '6';

    public boolean isRegular() {
        return type == REGULAR;
    }

    public boolean isDirectory() {
        return type == DIRECTORY;
    }

    public TarMember withName(String newName, String newLinkName) {
        return new TarMember(newName, type, mode, uid, gid, size, mtime, mtimeNanos, newLinkName, uname, gname,
                devMajor, devMinor);
    }
}
