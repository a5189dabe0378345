package io.dtrbackup.image.archive;

/**
 * One tar member's header as read or to be written. {@code mode} holds the permission bits
 * (07777); the kind is {@code type}, a ustar type flag. {@code mtimeNanos} is the fraction of the
 * second a PAX {@code mtime} record carried (0 almost always: the engine truncates to seconds).
 */
record TarMember(String name, byte type, int mode, long uid, long gid, long size, long mtime, int mtimeNanos,
        String linkName, String uname, String gname, long devMajor, long devMinor) {
    static final byte REGULAR = '0';
    static final byte HARD_LINK = '1';
    static final byte SYMLINK = '2';
    static final byte CHAR_DEVICE = '3';
    static final byte BLOCK_DEVICE = '4';
    static final byte DIRECTORY = '5';
    static final byte FIFO = '6';

    boolean isRegular() {
        return type == REGULAR;
    }

    boolean isDirectory() {
        return type == DIRECTORY;
    }

    TarMember withName(String newName, String newLinkName) {
        return new TarMember(newName, type, mode, uid, gid, size, mtime, mtimeNanos, newLinkName, uname, gname,
                devMajor, devMinor);
    }
}
