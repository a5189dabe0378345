package io.dtrbackup.verify;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import io.dtrbackup.common.archive.TarListing;
import io.dtrbackup.common.archive.TarMember;
import io.dtrbackup.common.archive.TarStreamReader;
import io.dtrbackup.common.crypto.PlaintextConsumer;
import io.dtrbackup.contract.events.ArtifactKind;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.function.LongConsumer;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Walks a decrypted artifact's tar in memory, streaming (the decryptor hashes the plaintext
 * itself, on another thread): the entry listing fingerprint ({@link TarListing}), and per kind: metadata tables
 * and JSON documents under {@code <top>/rethink/<table>/}, or every registry blob
 * ({@code …/blobs/sha256/<2>/<digest>/data}) re-hashed against the digest in its path, which
 * catches bit rot a {@code tar -t} would not. Problems are collected, not thrown, so one run
 * names every bad blob (up to a limit).
 */
final class TarInspector implements PlaintextConsumer<TarReport> {
    static final Pattern BLOB = Pattern.compile("(?:^|/)blobs/sha256/([0-9a-f]{2})/([0-9a-f]{64})/data$");
    private static final Pattern TABLE = Pattern.compile("^[^/]+/rethink/([^/]+)/(.*)$");
    private static final int MAX_PROBLEMS = 20;
    private static final JsonFactory JSON = new JsonFactory();

    private final ArtifactKind kind;
    private final LongConsumer progress;

    TarInspector(ArtifactKind kind, LongConsumer progress) {
        this.kind = kind;
        this.progress = progress;
    }

    @Override
    public TarReport consume(InputStream plaintext) throws IOException {
        CountingInputStream hashed = new CountingInputStream(plaintext, progress);
        TarListing listing = new TarListing();
        Set<String> tables = new LinkedHashSet<>();
        List<String> problems = new ArrayList<>();
        String top = null;
        long documents = 0;
        long blobs = 0;
        byte[] buf = new byte[1 << 18];
        MessageDigest blobDigest = sha256();
        try {
            TarStreamReader tar = new TarStreamReader(hashed);
            TarMember entry;
            while ((entry = nextOrEnd(tar)) != null) {
                String name = entry.name();
                // Everything but a folder counts as a file here: links and devices carry no data.
                boolean file = !entry.isDirectory();
                listing.add(name);
                if (top == null) {
                    int slash = name.indexOf('/');
                    top = slash < 0 ? name : name.substring(0, slash + 1);
                }
                if (kind == ArtifactKind.METADATA) {
                    Matcher m = TABLE.matcher(name);
                    if (m.matches()) {
                        tables.add(m.group(1));
                        if (file && !m.group(2).isEmpty()) {
                            documents++;
                            String bad = parseJson(tar.data());
                            if (bad != null) {
                                add(problems, "document does not parse as JSON: " + name + " (" + bad + ")");
                            }
                        }
                    }
                } else if (file) {
                    Matcher m = BLOB.matcher(name);
                    if (m.find() && m.group(2).startsWith(m.group(1))) {
                        blobs++;
                        blobDigest.reset();
                        InputStream data = tar.data();
                        int n;
                        while ((n = data.read(buf)) >= 0) {
                            blobDigest.update(buf, 0, n);
                        }
                        String actual = HexFormat.of().formatHex(blobDigest.digest());
                        if (!actual.equals(m.group(2))) {
                            add(problems, "blob digest mismatch: " + name + " hashes to sha256:" + actual
                                    + ", not the digest in its path");
                        }
                    }
                }
                tar.skipData(); // the rest of the entry still counts for the plaintext digest
            }
        } catch (IOException e) {
            // a damaged archive; if the decryption itself failed, the decryptor reports that instead
            add(problems, "damaged tar: " + e.getMessage());
        }
        while (hashed.read(buf) >= 0) {
            // end-of-archive blocks and record padding: read to the end so the MDC covers everything
        }
        return new TarReport(hashed.count(), listing.entryCount(), listing.sha256(), top,
                List.copyOf(tables), documents, blobs, problems);
    }

    /**
     * The next entry, or null at the end of the entries, also where the plaintext stops without the
     * end-of-archive blocks (every entry before is whole; the plaintext digest judges the rest).
     */
    private static TarMember nextOrEnd(TarStreamReader tar) throws IOException {
        try {
            return tar.next();
        } catch (TarStreamReader.MissingEndException e) {
            return null;
        }
    }

    private static void add(List<String> problems, String problem) {
        if (problems.size() < MAX_PROBLEMS) {
            problems.add(problem);
        } else if (problems.size() == MAX_PROBLEMS) {
            problems.add("more problems not listed");
        }
    }

    /** Parses one entry as a sequence of JSON values; returns the error, or null when it parses. */
    private static String parseJson(InputStream entry) throws IOException {
        InputStream nonClosing = new FilterInputStream(entry) {
            @Override
            public void close() {
            }
        };
        try (JsonParser parser = JSON.createParser(nonClosing)) {
            while (parser.nextToken() != null) {
                // only whether it parses matters
            }
            return null;
        } catch (JsonProcessingException e) {
            return e.getOriginalMessage();
        }
    }

    static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Counts what passes, skips included (a skip is read through, so it is counted and hashed). */
    static final class CountingInputStream extends FilterInputStream {
        private final LongConsumer progress;
        private final byte[] skipBuffer = new byte[8192];
        private long count;

        CountingInputStream(InputStream in, LongConsumer progress) {
            super(in);
            this.progress = progress;
        }

        @Override
        public int read() throws IOException {
            int b = in.read();
            if (b >= 0) {
                count++;
            }
            return b;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            int n = in.read(b, off, len);
            if (n > 0) {
                count += n;
                progress.accept(count);
            }
            return n;
        }

        @Override
        public long skip(long n) throws IOException {
            long done = 0;
            while (done < n) {
                int r = read(skipBuffer, 0, (int) Math.min(skipBuffer.length, n - done));
                if (r < 0) {
                    break;
                }
                done += r;
            }
            return done;
        }

        @Override
        public int available() {
            return 0;
        }

        @Override
        public boolean markSupported() {
            return false;
        }

        long count() {
            return count;
        }
    }
}
