package io.dtrbackup.common.docker;

import io.dtrbackup.common.archive.BulkInputStream;
import io.dtrbackup.common.archive.DirectTransfer;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * Parses one HTTP/1.1 response from a byte stream: status line, headers, and a body that is
 * chunked, of fixed length, or runs to the end of the connection. One large buffer sits under
 * everything; reads at least as large as the buffer bypass it, so a multi-GB archive body costs
 * one copy from the socket into the caller's array. Bodies also implement {@link DirectTransfer}:
 * the engine's archive comes in chunks of about 32 KiB, which a reader could only get through
 * the buffer, so its file data is instead written onwards straight out of the buffer.
 */
public final class HttpResponseStream {
    private static final int MAX_LINE = 64 * 1024;
    private static final int MAX_HEADERS = 256;

    private final InputStream in;
    private final byte[] buf;
    private int pos;
    private int limit;

    private final int status;
    private final String reason;
    private final Map<String, String> headers = new LinkedHashMap<>();
    private final InputStream body;

    public HttpResponseStream(InputStream in, int bufferSize) throws IOException {
        this.in = in;
        this.buf = new byte[bufferSize];
        String statusLine = readLine();
        if (statusLine == null) {
            throw new EOFException("connection closed before an HTTP response");
        }
        String[] parts = statusLine.split(" ", 3);
        if (parts.length < 2 || !parts[0].startsWith("HTTP/1.")) {
            throw new IOException("not an HTTP/1.x response: " + abbreviate(statusLine));
        }
        try {
            status = Integer.parseInt(parts[1]);
        } catch (NumberFormatException e) {
            throw new IOException("bad HTTP status line: " + abbreviate(statusLine));
        }
        reason = parts.length > 2 ? parts[2] : "";
        for (int i = 0;; i++) {
            String line = readLine();
            if (line == null) {
                throw new EOFException("connection closed inside the HTTP headers");
            }
            if (line.isEmpty()) {
                break;
            }
            if (i >= MAX_HEADERS) {
                throw new IOException("too many HTTP headers");
            }
            int colon = line.indexOf(':');
            if (colon <= 0) {
                throw new IOException("bad HTTP header line: " + abbreviate(line));
            }
            String name = line.substring(0, colon).trim().toLowerCase(Locale.ROOT);
            String value = line.substring(colon + 1).trim();
            headers.merge(name, value, (a, b) -> a + ", " + b);
        }
        String te = headers.get("transfer-encoding");
        String cl = headers.get("content-length");
        if (status == 204 || status == 304 || status / 100 == 1) {
            body = new FixedLengthBody(0);
        } else if (te != null && te.toLowerCase(Locale.ROOT).contains("chunked")) {
            body = new ChunkedBody();
        } else if (cl != null) {
            try {
                body = new FixedLengthBody(Long.parseLong(cl));
            } catch (NumberFormatException e) {
                throw new IOException("bad Content-Length: " + abbreviate(cl));
            }
        } else {
            body = new RawBody();
        }
    }

    public int status() {
        return status;
    }

    public String reason() {
        return reason;
    }

    /** A header value by lower-case name, or null. */
    public String header(String lowerCaseName) {
        return headers.get(lowerCaseName);
    }

    public Map<String, String> headers() {
        return headers;
    }

    /** The decoded body; ends (-1) exactly where the response ends. */
    public InputStream body() {
        return body;
    }

    // ------------------------------------------------------------------------ buffered source

    private boolean fill() throws IOException {
        pos = 0;
        limit = 0;
        int n = in.read(buf, 0, buf.length);
        if (n <= 0) {
            return false;
        }
        limit = n;
        return true;
    }

    private int readByte() throws IOException {
        if (pos >= limit && !fill()) {
            return -1;
        }
        return buf[pos++] & 0xff;
    }

    /** Reads up to {@code len} raw bytes; -1 at the end of the connection. */
    private int readRaw(byte[] b, int off, int len) throws IOException {
        if (len == 0) {
            return 0;
        }
        if (pos < limit) {
            int n = Math.min(len, limit - pos);
            System.arraycopy(buf, pos, b, off, n);
            pos += n;
            return n;
        }
        if (len >= buf.length) {
            return in.read(b, off, len); // big reads skip the buffer: one copy fewer
        }
        if (!fill()) {
            return -1;
        }
        int n = Math.min(len, limit);
        System.arraycopy(buf, 0, b, off, n);
        pos = n;
        return n;
    }

    /**
     * Writes up to {@code max} raw bytes (at least one) from the buffer to {@code out}, filling
     * it from the connection first when it is empty; -1 at the end of the connection.
     */
    private int transferRaw(OutputStream out, long max) throws IOException {
        if (pos >= limit && !fill()) {
            return -1;
        }
        int n = (int) Math.min(max, limit - pos);
        out.write(buf, pos, n);
        pos += n;
        return n;
    }

    /** A CRLF (or LF) terminated line in ISO-8859-1, without the terminator; null at EOF. */
    private String readLine() throws IOException {
        StringBuilder line = new StringBuilder();
        int c;
        while ((c = readByte()) >= 0) {
            if (c == '\n') {
                int len = line.length();
                if (len > 0 && line.charAt(len - 1) == '\r') {
                    line.setLength(len - 1);
                }
                return line.toString();
            }
            if (line.length() >= MAX_LINE) {
                throw new IOException("HTTP line longer than " + MAX_LINE + " bytes");
            }
            line.append((char) c);
        }
        return line.length() == 0 ? null : line.toString();
    }

    private static String abbreviate(String s) {
        return s.length() <= 120 ? s : s.substring(0, 120) + "...";
    }

    // ----------------------------------------------------------------------------- bodies

    private abstract class Body extends BulkInputStream implements DirectTransfer {
    }

    private final class FixedLengthBody extends Body {
        private long left;

        FixedLengthBody(long length) {
            left = length;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            if (left <= 0) {
                return -1;
            }
            int n = readRaw(b, off, (int) Math.min(len, left));
            if (n < 0) {
                throw new EOFException("connection closed with " + left + " bytes of the response body missing");
            }
            left -= n;
            return n;
        }

        @Override
        public void transferExactly(OutputStream out, long n) throws IOException {
            if (n > left) {
                throw new EOFException("the response body ends " + (n - left) + " bytes early");
            }
            while (n > 0) {
                int k = transferRaw(out, n);
                if (k < 0) {
                    throw new EOFException("connection closed with " + left + " bytes of the response body missing");
                }
                left -= k;
                n -= k;
            }
        }

        @Override
        public int available() {
            return (int) Math.min(left, limit - pos);
        }
    }

    private final class RawBody extends Body {
        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            return readRaw(b, off, len);
        }

        @Override
        public void transferExactly(OutputStream out, long n) throws IOException {
            while (n > 0) {
                int k = transferRaw(out, n);
                if (k < 0) {
                    throw new EOFException("connection closed with " + n + " bytes of the response body missing");
                }
                n -= k;
            }
        }
    }

    /** RFC 9112 chunked coding: hex size line (extensions ignored), data, CRLF; trailers skipped. */
    private final class ChunkedBody extends Body {
        private long chunkLeft;
        private boolean done;
        private boolean first = true;

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            if (len == 0) {
                return 0;
            }
            if (!nextChunk()) {
                return -1;
            }
            int n = readRaw(b, off, (int) Math.min(len, chunkLeft));
            if (n < 0) {
                throw new EOFException("connection closed inside a chunk (" + chunkLeft + " bytes missing)");
            }
            chunkLeft -= n;
            return n;
        }

        @Override
        public void transferExactly(OutputStream out, long n) throws IOException {
            while (n > 0) {
                if (!nextChunk()) {
                    throw new EOFException("the response body ends " + n + " bytes early");
                }
                int k = transferRaw(out, Math.min(n, chunkLeft));
                if (k < 0) {
                    throw new EOFException("connection closed inside a chunk (" + chunkLeft + " bytes missing)");
                }
                chunkLeft -= k;
                n -= k;
            }
        }

        /** Moves to the next chunk when the current one is used up; false after the last chunk. */
        private boolean nextChunk() throws IOException {
            if (done) {
                return false;
            }
            if (chunkLeft > 0) {
                return true;
            }
            if (!first) {
                String crlf = readLine();
                if (crlf == null || !crlf.isEmpty()) {
                    throw new IOException("malformed chunked body: missing CRLF after a chunk");
                }
            }
            first = false;
            String sizeLine = readLine();
            if (sizeLine == null) {
                throw new EOFException("connection closed inside a chunked body (no final chunk)");
            }
            int semi = sizeLine.indexOf(';');
            String hex = (semi >= 0 ? sizeLine.substring(0, semi) : sizeLine).trim();
            try {
                chunkLeft = Long.parseLong(hex, 16);
            } catch (NumberFormatException e) {
                throw new IOException("malformed chunk size '" + abbreviate(sizeLine) + "'");
            }
            if (chunkLeft < 0) {
                throw new IOException("negative chunk size");
            }
            if (chunkLeft == 0) {
                // Trailers until the empty line.
                for (String t = readLine(); t != null && !t.isEmpty(); t = readLine()) {
                    // ignored
                }
                done = true;
                return false;
            }
            return true;
        }

        @Override
        public int available() {
            return (int) Math.min(chunkLeft, limit - pos);
        }
    }
}
