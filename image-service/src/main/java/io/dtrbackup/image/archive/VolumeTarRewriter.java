package io.dtrbackup.image.archive;

import io.dtrbackup.common.archive.TarListing;
import java.io.FilterOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Date;
import java.util.regex.Pattern;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;
import org.apache.commons.compress.archivers.tar.TarConstants;

/**
 * Turns the engine's archive of a volume mount (names {@code storage/...}) into the seed's tar:
 * the member names GNU {@code tar -cf x.tar /var/lib/docker/volumes/<volume>} writes, i.e. the
 * volume folder {@code var/lib/docker/volumes/<volume>/} first, then {@code .../_data/...}.
 * Modes, mtimes, owners, symlinks, hard links and empty folders are carried over; long and
 * non-ASCII names get PAX headers. Entries are built from name and attributes (never from a
 * Path, which would add {@code LIBARCHIVE.creationtime} headers GNU tar warns about), and file
 * data is copied straight through with a large buffer. Memory does not grow with the volume.
 */
public final class VolumeTarRewriter {
    /** A registry blob: {@code docker/registry/v2/blobs/sha256/<2>/<64 hex>/data}. */
    static final Pattern BLOB = Pattern.compile("docker/registry/v2/blobs/sha256/[0-9a-f]{2}/[0-9a-f]{64}/data");
    /** Mode and time of a volume folder Docker creates ({@code drwx-----x}), used when nothing better is known. */
    static final int VOLUME_FOLDER_MODE = 0701;
    private static final int COPY_BUFFER = 1 << 20;

    /** Called on the writing thread after each entry. */
    public interface Listener {
        void entryWritten(long entries, long files);
    }

    /** What the rewrite produced. */
    public record Result(long entryCount, long fileCount, long blobCount, long contentBytes, String listingSha256) {
    }

    private final String archiveRoot;
    private final String dataPrefix;
    private final String volumeFolder;
    private final Instant volumeCreated;

    /**
     * @param archiveRoot the first name component of the engine's archive (the base name of the
     *        mount destination, e.g. {@code storage})
     * @param mountpoint the volume's Mountpoint as the engine reports it
     * @param volumeCreated mtime for the volume folder entry (null: the data folder's mtime)
     */
    public VolumeTarRewriter(String archiveRoot, String mountpoint, Instant volumeCreated) {
        if (archiveRoot == null || archiveRoot.isEmpty() || archiveRoot.contains("/")) {
            throw new IllegalArgumentException("archive root must be one name component, got '" + archiveRoot + "'");
        }
        String m = mountpoint;
        while (m.endsWith("/") && m.length() > 1) {
            m = m.substring(0, m.length() - 1);
        }
        // GNU tar strips the leading '/' ("Removing leading `/' from member names").
        while (m.startsWith("/")) {
            m = m.substring(1);
        }
        int slash = m.lastIndexOf('/');
        if (m.isEmpty() || slash <= 0) {
            throw new IllegalArgumentException("mountpoint must be a folder below the volumes root, got '" + mountpoint
                    + "'");
        }
        this.archiveRoot = archiveRoot;
        this.dataPrefix = m;
        this.volumeFolder = m.substring(0, slash);
        this.volumeCreated = volumeCreated;
    }

    /** The folder the seed archives, as a member name ({@code var/lib/docker/volumes/<v>/}). */
    public String volumeFolderEntry() {
        return volumeFolder + "/";
    }

    /**
     * The member name for an archive name: {@code storage} → {@code <mountpoint>/},
     * {@code storage/x} → {@code <mountpoint>/x}.
     */
    public String mapName(String archiveName, boolean directory) throws IOException {
        String n = archiveName;
        if (n.startsWith("./")) {
            n = n.substring(2);
        }
        String mapped;
        if (n.equals(archiveRoot) || n.equals(archiveRoot + "/")) {
            mapped = dataPrefix;
        } else if (n.startsWith(archiveRoot + "/")) {
            mapped = dataPrefix + "/" + n.substring(archiveRoot.length() + 1);
        } else {
            throw new IOException("unexpected entry '" + archiveName + "' outside " + archiveRoot
                    + "/ in the engine's archive");
        }
        if (directory && !mapped.endsWith("/")) {
            mapped += "/";
        } else if (!directory) {
            while (mapped.endsWith("/")) {
                mapped = mapped.substring(0, mapped.length() - 1);
            }
        }
        return mapped;
    }

    /** True for a blob file, given its name relative to the volume's data folder. */
    static boolean isBlob(String relativeName) {
        return BLOB.matcher(relativeName).matches();
    }

    /**
     * Reads the engine's archive from {@code in} and writes the seed's tar to {@code out} (not
     * closed). Every member name also goes to {@code listing}. Commons Compress writes 512-byte
     * records, so {@code out} must take small writes cheaply: a {@link io.dtrbackup.common.archive.BoundedPipe} sink (itself
     * a buffer, so no second copy) or a large {@link java.io.BufferedOutputStream}.
     */
    public Result rewrite(InputStream in, OutputStream out, TarListing listing, Listener listener) throws IOException {
        TarArchiveInputStream tarIn = new TarArchiveInputStream(in, StandardCharsets.UTF_8.name());
        TarArchiveOutputStream tarOut = new TarArchiveOutputStream(new NonClosing(out), StandardCharsets.UTF_8.name());
        tarOut.setLongFileMode(TarArchiveOutputStream.LONGFILE_POSIX);
        tarOut.setBigNumberMode(TarArchiveOutputStream.BIGNUMBER_POSIX);
        tarOut.setAddPaxHeadersForNonAsciiNames(true);

        byte[] buffer = new byte[COPY_BUFFER];
        long entries = 0;
        long files = 0;
        long blobs = 0;
        long bytes = 0;
        boolean folderWritten = false;
        String dataFolder = dataPrefix + "/";
        for (TarArchiveEntry e = tarIn.getNextEntry(); e != null; e = tarIn.getNextEntry()) {
            String name = mapName(e.getName(), e.isDirectory());
            if (!folderWritten) {
                // The seed archives the volume folder itself: its entry comes first.
                TarArchiveEntry folder = new TarArchiveEntry(volumeFolderEntry(), TarConstants.LF_DIR);
                folder.setMode(040000 | VOLUME_FOLDER_MODE);
                folder.setModTime(volumeCreated != null ? Date.from(volumeCreated) : e.getModTime());
                folder.setUserId(0L);
                folder.setGroupId(0L);
                folder.setUserName("root");
                folder.setGroupName("root");
                tarOut.putArchiveEntry(folder);
                tarOut.closeArchiveEntry();
                listing.add(folder.getName());
                entries++;
                folderWritten = true;
            }
            byte flag = linkFlag(e);
            TarArchiveEntry o = copyHeader(e, name, flag);
            tarOut.putArchiveEntry(o);
            if (flag == TarConstants.LF_NORMAL) {
                long left = e.getSize();
                while (left > 0) {
                    int n = tarIn.read(buffer, 0, (int) Math.min(buffer.length, left));
                    if (n < 0) {
                        throw new IOException("the engine's archive ended inside " + e.getName() + " (" + left
                                + " bytes missing)");
                    }
                    tarOut.write(buffer, 0, n);
                    left -= n;
                }
                bytes += e.getSize();
                files++;
                if (name.startsWith(dataFolder) && isBlob(name.substring(dataFolder.length()))) {
                    blobs++;
                }
            }
            tarOut.closeArchiveEntry();
            listing.add(o.getName());
            entries++;
            listener.entryWritten(entries, files);
        }
        if (!folderWritten) {
            throw new IOException("the engine's archive of " + archiveRoot + " is empty (not even its folder)");
        }
        tarOut.finish();
        tarOut.close(); // NonClosing keeps the caller's stream open
        return new Result(entries, files, blobs, bytes, listing.sha256());
    }

    private static byte linkFlag(TarArchiveEntry e) {
        return e.isDirectory() ? TarConstants.LF_DIR
                : e.isSymbolicLink() ? TarConstants.LF_SYMLINK
                : e.isLink() ? TarConstants.LF_LINK
                : e.isCharacterDevice() ? TarConstants.LF_CHR
                : e.isBlockDevice() ? TarConstants.LF_BLK
                : e.isFIFO() ? TarConstants.LF_FIFO
                : TarConstants.LF_NORMAL;
    }

    private TarArchiveEntry copyHeader(TarArchiveEntry e, String name, byte flag) throws IOException {
        TarArchiveEntry o = new TarArchiveEntry(name, flag);
        o.setMode(e.getMode());
        o.setModTime(e.getModTime());
        o.setUserId(e.getLongUserId());
        o.setGroupId(e.getLongGroupId());
        o.setUserName(e.getUserName());
        o.setGroupName(e.getGroupName());
        if (e.isSymbolicLink()) {
            o.setLinkName(e.getLinkName()); // a symlink's target is kept as the volume holds it
        } else if (e.isLink()) {
            o.setLinkName(mapName(e.getLinkName(), false)); // a hard link names another member
        } else if (e.isCharacterDevice() || e.isBlockDevice()) {
            o.setDevMajor(e.getDevMajor());
            o.setDevMinor(e.getDevMinor());
        }
        if (flag == TarConstants.LF_NORMAL) {
            o.setSize(e.getSize());
        }
        return o;
    }

    private static final class NonClosing extends FilterOutputStream {
        NonClosing(OutputStream out) {
            super(out);
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
            out.write(b, off, len);
        }

        @Override
        public void close() throws IOException {
            out.flush();
        }
    }
}
