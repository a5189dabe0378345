package io.dtrbackup.image.archive;

import io.dtrbackup.common.archive.PosixHeaderWriter;
import io.dtrbackup.common.archive.TarListing;
import io.dtrbackup.common.archive.TarMember;
import io.dtrbackup.common.archive.TarStreamReader;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.time.Instant;
import java.util.regex.Pattern;

/**
 * Turns the engine's archive of a volume mount (names {@code storage/...}) into the seed's tar:
 * the member names GNU {@code tar -cf x.tar /var/lib/docker/volumes/<volume>} writes, i.e. the
 * volume folder {@code var/lib/docker/volumes/<volume>/} first, then {@code .../_data/...}.
 * Modes, mtimes, owners, symlinks, hard links and empty folders are carried over; long and
 * non-ASCII names get PAX headers, each header byte for byte as GNU {@code tar --format=posix}
 * writes it ({@link PosixHeaderWriter}: no atime/ctime/xattr records). File data passes through
 * unchanged in large slices (its zero padding is written anew); only headers are rewritten, and
 * the archive ends as GNU tar ends it (two zero blocks, padded to a 10 KiB record). Memory does
 * not grow with the volume.
 */
public final class VolumeTarRewriter {
    /** A registry blob: {@code docker/registry/v2/blobs/sha256/<2>/<64 hex>/data}. */
    static final Pattern BLOB = Pattern.compile("docker/registry/v2/blobs/sha256/[0-9a-f]{2}/[0-9a-f]{64}/data");
    /** Mode and time of a volume folder Docker creates ({@code drwx-----x}), used when nothing better is known. */
    static final int VOLUME_FOLDER_MODE = 0701;
    /** GNU tar's record: the archive is padded with zeros to a multiple of 20 blocks. */
    private static final int RECORD = 20 * PosixHeaderWriter.BLOCK;
    private static final byte[] ZEROS = new byte[RECORD];

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
     * closed). Every member name also goes to {@code listing}. Headers are parsed and written
     * here ({@link TarStreamReader}, {@link PosixHeaderWriter}); file data goes from the input
     * to {@code out} in large slices, straight out of the HTTP buffer when {@code in} is a
     * {@link DirectTransfer}. Headers and padding are small writes, so {@code out} must take them
     * cheaply: a {@link io.dtrbackup.common.archive.BoundedPipe} sink or a buffered stream.
     */
    public Result rewrite(InputStream in, OutputStream out, TarListing listing, Listener listener) throws IOException {
        TarStreamReader tarIn = new TarStreamReader(in);
        PosixHeaderWriter headers = new PosixHeaderWriter();
        long written = 0;
        long entries = 0;
        long files = 0;
        long blobs = 0;
        long bytes = 0;
        boolean folderWritten = false;
        String dataFolder = dataPrefix + "/";
        while (true) {
            TarMember e;
            try {
                e = tarIn.next();
            } catch (EOFException eof) {
                if (!folderWritten) {
                    throw new IOException("the engine's archive of " + archiveRoot + " is empty (not even its folder): "
                            + eof.getMessage(), eof);
                }
                throw new IOException("the engine's archive ended early: " + eof.getMessage(), eof);
            }
            if (e == null) {
                break;
            }
            String name = mapName(e.name(), e.isDirectory());
            if (!folderWritten) {
                // The seed archives the volume folder itself: its entry comes first.
                TarMember folder = new TarMember(volumeFolderEntry(), TarMember.DIRECTORY, VOLUME_FOLDER_MODE, 0, 0, 0,
                        volumeCreated != null ? volumeCreated.getEpochSecond() : e.mtime(),
                        volumeCreated != null ? volumeCreated.getNano() : e.mtimeNanos(), null, "root", "root", 0, 0);
                written += write(out, headers, folder);
                listing.add(folder.name());
                entries++;
                folderWritten = true;
            }
            String link = e.linkName();
            if (e.type() == TarMember.HARD_LINK) {
                link = mapName(link, false); // a hard link names another member; a symlink's target stays as it is
            }
            TarMember o = e.withName(name, link);
            written += write(out, headers, o);
            if (o.isRegular()) {
                tarIn.transferData(out);
                int pad = TarStreamReader.padding(o.size());
                out.write(ZEROS, 0, pad);
                written += o.size() + pad;
                bytes += o.size();
                files++;
                if (name.startsWith(dataFolder) && isBlob(name.substring(dataFolder.length()))) {
                    blobs++;
                }
            } else {
                tarIn.skipData();
            }
            listing.add(name);
            entries++;
            listener.entryWritten(entries, files);
        }
        if (!folderWritten) {
            throw new IOException("the engine's archive of " + archiveRoot + " is empty (not even its folder)");
        }
        // End of archive: two zero blocks, then zeros up to a whole record, as GNU tar ends it.
        long end = written + 2L * PosixHeaderWriter.BLOCK;
        long total = (end + RECORD - 1) / RECORD * RECORD;
        for (long left = total - written; left > 0;) {
            int n = (int) Math.min(left, ZEROS.length);
            out.write(ZEROS, 0, n);
            left -= n;
        }
        out.flush();
        return new Result(entries, files, blobs, bytes, listing.sha256());
    }

    private static int write(OutputStream out, PosixHeaderWriter headers, TarMember m) throws IOException {
        int n = headers.format(m);
        out.write(headers.array(), 0, n);
        return n;
    }
}
