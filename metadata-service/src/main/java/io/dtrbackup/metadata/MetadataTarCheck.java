package io.dtrbackup.metadata;

import io.dtrbackup.common.archive.TarListing;
import io.dtrbackup.common.archive.TarMember;
import io.dtrbackup.common.archive.TarStreamReader;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.Set;
import java.util.TreeSet;

/**
 * Walks a {@code docker/dtr backup} tar as it streams past and says whether it is a complete
 * metadata backup: it parses to the end-of-archive marker, every entry sits under one top folder
 * {@code dtr-backup-v<version>…/}, which holds {@code rethink/} and at least the {@code properties}
 * table. Also produces the entry count and the {@link TarListing} digest. Memory is bounded: only
 * table names (capped) and the last 1 KiB are kept.
 */
final class MetadataTarCheck {
    static final String REQUIRED_TABLE = "properties";
    private static final int MAX_TABLES_KEPT = 1000;
    private static final int EOF_MARKER = 1024;

    /** What the walk found; {@code problem} is null for a valid metadata tar. */
    record Result(long bytes, long entryCount, String listingSha256, String topFolder, Set<String> tables,
            String problem) {
        boolean valid() {
            return problem == null;
        }
    }

    private MetadataTarCheck() {
    }

    /**
     * Reads {@code in} to its end whatever happens (a producer teeing into it must never block)
     * and returns the verdict. Only an I/O error of {@code in} itself is thrown.
     */
    static Result inspect(InputStream in, String dtrVersion) throws IOException {
        TailTrackingInputStream raw = new TailTrackingInputStream(in);
        TarListing listing = new TarListing();
        Set<String> tables = new TreeSet<>();
        String top = null;
        boolean rethink = false;
        String problem = null;
        String expectedPrefix = "dtr-backup-v" + dtrVersion;
        try {
            TarStreamReader tar = new TarStreamReader(raw);
            TarMember entry;
            while ((entry = nextOrEnd(tar)) != null) {
                String name = entry.name();
                listing.add(name);
                if (problem == null) {
                    if (top == null) {
                        int slash = name.indexOf('/');
                        top = slash < 0 ? name + "/" : name.substring(0, slash + 1);
                        if (!top.startsWith(expectedPrefix)) {
                            problem = "the tar's top folder is '" + top + "', expected '" + expectedPrefix
                                    + "…/' (is docker/dtr:" + dtrVersion + " the version the replica runs?)";
                        }
                    } else if (!name.startsWith(top)) {
                        problem = "entry '" + name + "' is outside the top folder '" + top + "'";
                    }
                    String rest = name.startsWith(top) ? name.substring(top.length()) : "";
                    if (rest.startsWith("rethink/")) {
                        rethink = true;
                        String table = rest.substring("rethink/".length());
                        int slash = table.indexOf('/');
                        table = slash < 0 ? table : table.substring(0, slash);
                        if (!table.isEmpty() && tables.size() < MAX_TABLES_KEPT) {
                            tables.add(table);
                        }
                    }
                }
                // Entry data is read through so the walk reaches the next header (and a cut-off
                // entry shows up as "truncated").
                tar.skipData();
            }
            if (problem == null) {
                problem = structureProblem(listing.entryCount(), raw, top, rethink, tables);
            }
        } catch (IOException | RuntimeException e) {
            if (raw.failure != null) {
                throw raw.failure; // the stream itself broke: not the tar's fault
            }
            problem = "the tar is broken after " + listing.entryCount() + " entries: " + e.getMessage();
        } finally {
            raw.drain();
        }
        // The tail check needs the whole stream, including what follows the end-of-archive marker.
        if (problem == null && !raw.endsWithEofMarker()) {
            problem = "the tar has no end-of-archive marker (two zero blocks): the output was cut off";
        }
        if (problem == null && raw.total % 512 != 0) {
            problem = "the tar is " + raw.total + " bytes, not a whole number of 512-byte blocks";
        }
        return new Result(raw.total, listing.entryCount(), listing.sha256(), top, Set.copyOf(tables), problem);
    }

    /**
     * The next entry, or null at the end of the entries: also where the stream stops without the
     * end-of-archive blocks, which the tail check then reports as a cut-off output.
     */
    private static TarMember nextOrEnd(TarStreamReader tar) throws IOException {
        try {
            return tar.next();
        } catch (TarStreamReader.MissingEndException e) {
            return null;
        }
    }

    private static String structureProblem(long entries, TailTrackingInputStream raw, String top, boolean rethink,
            Set<String> tables) {
        if (raw.total == 0) {
            return "docker/dtr wrote nothing to stdout";
        }
        if (entries == 0) {
            return "the output is not a tar or holds no entries (" + raw.total + " bytes)";
        }
        if (!rethink) {
            return "the tar has no " + top + "rethink/ folder: not a DTR metadata backup";
        }
        if (!tables.contains(REQUIRED_TABLE)) {
            return "the tar lacks the '" + REQUIRED_TABLE + "' table (" + top + "rethink/" + REQUIRED_TABLE
                    + "/); tables found: " + tables;
        }
        return null;
    }

    /** Counts bytes, keeps the last 1 KiB, and remembers a failure of the underlying stream. */
    private static final class TailTrackingInputStream extends FilterInputStream {
        private final byte[] tail = new byte[EOF_MARKER];
        long total;
        IOException failure;

        TailTrackingInputStream(InputStream in) {
            super(in);
        }

        @Override
        public int read() throws IOException {
            byte[] one = new byte[1];
            int n = read(one, 0, 1);
            return n < 0 ? -1 : one[0] & 0xff;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            int n;
            try {
                n = in.read(b, off, len);
            } catch (IOException e) {
                failure = e;
                throw e;
            }
            if (n > 0) {
                int from = Math.max(off, off + n - EOF_MARKER);
                total += from - off;
                for (int i = from; i < off + n; i++) {
                    tail[(int) (total++ % EOF_MARKER)] = b[i];
                }
            }
            return n;
        }

        @Override
        public long skip(long n) throws IOException {
            byte[] buffer = new byte[(int) Math.min(n, 64 * 1024)];
            int read = read(buffer, 0, buffer.length);
            return Math.max(read, 0);
        }

        @Override
        public void close() {
            // the caller owns the underlying stream; drain() reads it to its end
        }

        void drain() throws IOException {
            if (failure != null) {
                return;
            }
            byte[] buffer = new byte[64 * 1024];
            while (read(buffer, 0, buffer.length) >= 0) {
                // discard: a tee upstream must be able to finish
            }
        }

        boolean endsWithEofMarker() {
            if (total < EOF_MARKER) {
                return false;
            }
            for (byte b : tail) {
                if (b != 0) {
                    return false;
                }
            }
            return true;
        }
    }
}
