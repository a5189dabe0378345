package io.dtrbackup.testsupport;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.List;
import java.util.SplittableRandom;

import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;
import org.apache.commons.compress.archivers.tar.TarConstants;

/**
 * The metadata tar the stand-in {@code docker/dtr backup} prints, built from fragments: a head
 * (top folder and {@code rethink/}), one fragment per table, and a 1024-zero-byte trailer. Each
 * fragment is complete 512-byte tar records without the end-of-archive blocks, so any selection
 * concatenated in order, plus the trailer, is a valid tar. Every byte is fixed (names, mtimes,
 * ids, documents), so the same flags give the same SHA-256 on every run.
 */
public final class DtrMetadataTar {
    /** Tables in the order the tar lists them. */
    public static final List<String> TABLES = List.of("properties", "repositories", "tags", "manifests", "blobs",
            "blob_links", "namespace_team_access", "repository_team_access", "tuf_files", "scanned_images",
            "scanned_layers", "private_keys", "events", "webhooks", "crons", "client_tokens", "user_settings");
    /** 2024-01-01T00:00:00Z. */
    static final long MTIME_MILLIS = 1_704_067_200_000L;
    static final byte[] TRAILER = new byte[1024];
    private static final int EVENT_DOC_BYTES = 1 << 20;

    private DtrMetadataTar() {
    }

    /** Whether the table is left out by {@code --ignore-events-table} / {@code --ignore-scan-data}. */
    static boolean skipped(String table, boolean ignoreEvents, boolean ignoreScan) {
        return (ignoreEvents && table.equals("events")) || (ignoreScan && table.startsWith("scanned_"));
    }

    /** Writes the whole tar the stand-in prints for these flags. */
    public static void write(OutputStream out, String version, boolean online, boolean ignoreEvents,
            boolean ignoreScan, long eventsPadBytes) throws IOException {
        String top = DtrVersion.topFolder(version, online);
        out.write(head(top));
        for (String table : TABLES) {
            if (!skipped(table, ignoreEvents, ignoreScan)) {
                writeTable(out, top, version, table, eventsPadBytes);
            }
        }
        out.write(TRAILER);
    }

    public static byte[] bytes(String version, boolean online, boolean ignoreEvents, boolean ignoreScan,
            long eventsPadBytes) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try {
            write(out, version, online, ignoreEvents, ignoreScan, eventsPadBytes);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toByteArray();
    }

    /** Hex SHA-256 of the tar for these flags, computed streaming (fine for a 200 MB pad). */
    public static String sha256(String version, boolean online, boolean ignoreEvents, boolean ignoreScan,
            long eventsPadBytes) {
        MessageDigest md = RegistryTreeGenerator.sha256();
        try (OutputStream out = new java.security.DigestOutputStream(OutputStream.nullOutputStream(), md)) {
            write(out, version, online, ignoreEvents, ignoreScan, eventsPadBytes);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return HexFormat.of().formatHex(md.digest());
    }

    static byte[] head(String top) throws IOException {
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        try (Fragment f = new Fragment(buf)) {
            f.dir(top);
            f.dir(top + "rethink/");
        }
        return buf.toByteArray();
    }

    /** One table's fragment: its folder and its documents {@code <table>/<n>}. */
    static void writeTable(OutputStream out, String top, String version, String table, long eventsPadBytes)
            throws IOException {
        String dir = top + "rethink/" + table + "/";
        try (Fragment f = new Fragment(out)) {
            f.dir(dir);
            int docs = table.equals("properties") ? 1 : 3;
            for (int n = 0; n < docs; n++) {
                byte[] doc = document(version, table, n).getBytes(StandardCharsets.UTF_8);
                f.file(dir + n, doc.length, o -> o.write(doc));
            }
            if (table.equals("events") && eventsPadBytes > 0) {
                long left = eventsPadBytes;
                for (int n = docs; left > 0; n++) {
                    long size = Math.max(64, Math.min(EVENT_DOC_BYTES, left));
                    long seed = n;
                    int no = n;
                    f.file(dir + n, size, o -> paddingEvent(o, version, no, seed, size));
                    left -= size;
                }
            }
        }
    }

    private static String document(String version, String table, int n) {
        String id = HexFormat.of().formatHex(RegistryTreeGenerator.sha256()
                .digest((version + "/" + table + "/" + n).getBytes(StandardCharsets.UTF_8)));
        return switch (table) {
            case "properties" -> "{\"id\":\"dtr\",\"version\":\"" + version
                    + "\",\"storage\":{\"type\":\"filesystem\",\"rootdirectory\":\"/storage\"},\"created\":\"2024-01-01T00:00:00Z\"}\n";
            case "repositories" -> "{\"id\":\"" + id.substring(0, 36) + "\",\"namespace\":\"library\",\"name\":\"app-" + n
                    + "\",\"visibility\":\"private\",\"scanOnPush\":false}\n";
            case "tags" -> "{\"pk\":\"library/app-" + n + ":latest\",\"digest\":\"sha256:" + id + "\"}\n";
            default -> "{\"id\":\"" + id + "\",\"table\":\"" + table + "\",\"n\":" + n + "}\n";
        };
    }

    /** Pseudo-random but fixed event document of exactly {@code size} bytes. */
    private static void paddingEvent(OutputStream out, String version, int n, long seed, long size) throws IOException {
        byte[] prefix = ("{\"id\":\"evt-" + n + "\",\"type\":\"PUSH\",\"v\":\"" + version + "\",\"p\":\"")
                .getBytes(StandardCharsets.US_ASCII);
        byte[] suffix = "\"}\n".getBytes(StandardCharsets.US_ASCII);
        long fill = size - prefix.length - suffix.length;
        if (fill < 0) { // tiny last document: just hex
            prefix = new byte[0];
            suffix = new byte[0];
            fill = size;
        }
        out.write(prefix);
        SplittableRandom random = new SplittableRandom(seed * 0x9E3779B97F4A7C15L + 17);
        byte[] hex = "0123456789abcdef".getBytes(StandardCharsets.US_ASCII);
        byte[] buf = new byte[64 * 1024];
        while (fill > 0) {
            int len = (int) Math.min(buf.length, fill);
            for (int i = 0; i < len; i += 16) {
                long v = random.nextLong();
                for (int j = 0; j < 16 && i + j < len; j++) {
                    buf[i + j] = hex[(int) (v >>> (j * 4)) & 15];
                }
            }
            out.write(buf, 0, len);
            fill -= len;
        }
        out.write(suffix);
    }

    interface Body {
        void writeTo(OutputStream out) throws IOException;
    }

    /** A tar stream without end-of-archive blocks: block size 512, so nothing pads records. */
    private static final class Fragment implements AutoCloseable {
        private final TarArchiveOutputStream tar;
        private final OutputStream target;

        Fragment(OutputStream target) {
            this.target = target;
            // Writes go straight through; close() below never calls finish().
            this.tar = new TarArchiveOutputStream(new RegistryTreeGenerator.NonClosing(target), 512,
                    StandardCharsets.UTF_8.name());
            tar.setLongFileMode(TarArchiveOutputStream.LONGFILE_POSIX);
            tar.setBigNumberMode(TarArchiveOutputStream.BIGNUMBER_POSIX);
        }

        void dir(String name) throws IOException {
            TarArchiveEntry e = new TarArchiveEntry(name, TarConstants.LF_DIR);
            fixed(e, 040755);
            tar.putArchiveEntry(e);
            tar.closeArchiveEntry();
        }

        void file(String name, long size, Body body) throws IOException {
            TarArchiveEntry e = new TarArchiveEntry(name, TarConstants.LF_NORMAL);
            fixed(e, 0100644);
            e.setSize(size);
            tar.putArchiveEntry(e);
            body.writeTo(tar);
            tar.closeArchiveEntry();
        }

        private static void fixed(TarArchiveEntry e, int mode) {
            e.setMode(mode);
            e.setModTime(MTIME_MILLIS);
            e.setIds(0, 0);
            e.setNames("root", "root");
        }

        @Override
        public void close() throws IOException {
            tar.flush();
            target.flush();
        }
    }
}
