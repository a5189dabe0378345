package io.dtrbackup.common.docker;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.dtrbackup.common.archive.DirectTransfer;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class HttpResponseStreamTest {

    @Test
    void decodesChunkedBodiesWithExtensionsAndTrailers() throws IOException {
        String raw = "HTTP/1.1 200 OK\r\nContent-Type: application/x-tar\r\nTransfer-Encoding: chunked\r\n"
                + "X-Docker-Container-Path-Stat: e30=\r\n\r\n"
                + "5\r\nhello\r\n" + "1;name=value\r\n \r\n" + "A\r\n0123456789\r\n" + "0\r\nX-Trailer: yes\r\n\r\n";
        HttpResponseStream r = new HttpResponseStream(new ByteArrayInputStream(bytes(raw)), 64);
        assertThat(r.status()).isEqualTo(200);
        assertThat(r.header("content-type")).isEqualTo("application/x-tar");
        assertThat(r.header("x-docker-container-path-stat")).isEqualTo("e30=");
        assertThat(new String(r.body().readAllBytes(), StandardCharsets.ISO_8859_1)).isEqualTo("hello 0123456789");
        assertThat(r.body().read()).isEqualTo(-1);
    }

    @Test
    void chunkedBodySurvivesAnySplitOfTheWire() throws IOException {
        byte[] payload = new byte[300_000];
        new Random(3).nextBytes(payload);
        ByteArrayOutputStream wire = new ByteArrayOutputStream();
        wire.writeBytes(bytes("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"));
        Random sizes = new Random(5);
        for (int off = 0; off < payload.length;) {
            int n = Math.min(payload.length - off, 1 + sizes.nextInt(70_000));
            wire.writeBytes(bytes(Integer.toHexString(n) + "\r\n"));
            wire.write(payload, off, n);
            wire.writeBytes(bytes("\r\n"));
            off += n;
        }
        wire.writeBytes(bytes("0\r\n\r\n"));
        byte[] all = wire.toByteArray();
        for (int maxRead : new int[] {1, 7, 512, 65_536, 1 << 20}) {
            for (int bufferSize : new int[] {16, 4096, 1 << 20}) {
                HttpResponseStream r = new HttpResponseStream(new Dribble(new ByteArrayInputStream(all), maxRead),
                        bufferSize);
                ByteArrayOutputStream out = new ByteArrayOutputStream();
                byte[] buf = new byte[100_000];
                for (int n = r.body().read(buf); n >= 0; n = r.body().read(buf)) {
                    out.write(buf, 0, n);
                }
                assertThat(out.toByteArray()).as("maxRead %d buffer %d", maxRead, bufferSize).isEqualTo(payload);
            }
        }
    }

    @Test
    void transfersMixedWithReadsGiveTheExactBodyOverAnySplit() throws IOException {
        // The tar rewriter reads headers and transfers file data straight out of the buffer,
        // alternately; chunk boundaries fall anywhere in either.
        byte[] payload = new byte[200_000];
        new Random(9).nextBytes(payload);
        ByteArrayOutputStream chunked = new ByteArrayOutputStream();
        chunked.writeBytes(bytes("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"));
        Random sizes = new Random(6);
        for (int off = 0; off < payload.length;) {
            int n = Math.min(payload.length - off, 1 + sizes.nextInt(40_000));
            chunked.writeBytes(bytes(Integer.toHexString(n) + "\r\n"));
            chunked.write(payload, off, n);
            chunked.writeBytes(bytes("\r\n"));
            off += n;
        }
        chunked.writeBytes(bytes("0\r\n\r\n"));
        ByteArrayOutputStream fixed = new ByteArrayOutputStream();
        fixed.writeBytes(bytes("HTTP/1.1 200 OK\r\nContent-Length: " + payload.length + "\r\n\r\n"));
        fixed.writeBytes(payload);
        ByteArrayOutputStream raw = new ByteArrayOutputStream();
        raw.writeBytes(bytes("HTTP/1.1 200 OK\r\n\r\n"));
        raw.writeBytes(payload);
        for (byte[] wire : List.of(chunked.toByteArray(), fixed.toByteArray(), raw.toByteArray())) {
            for (int maxRead : new int[] {1, 7, 512, 65_536, 1 << 20}) {
                for (int bufferSize : new int[] {16, 4096, 1 << 20}) {
                    HttpResponseStream r = new HttpResponseStream(new Dribble(new ByteArrayInputStream(wire), maxRead),
                            bufferSize);
                    InputStream body = r.body();
                    DirectTransfer direct = (DirectTransfer) body;
                    ByteArrayOutputStream out = new ByteArrayOutputStream();
                    Random steps = new Random(maxRead + bufferSize);
                    int left = payload.length;
                    while (left > 0) {
                        int n = Math.min(left, 1 + steps.nextInt(20_000));
                        if (steps.nextBoolean()) {
                            direct.transferExactly(out, n);
                        } else {
                            out.write(body.readNBytes(n));
                        }
                        left -= n;
                    }
                    assertThat(body.read()).isEqualTo(-1);
                    assertThat(out.toByteArray()).as("maxRead %d buffer %d", maxRead, bufferSize).isEqualTo(payload);
                }
            }
        }
    }

    @Test
    void aTransferPastTheEndOfTheBodyFails() {
        for (String wire : List.of("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n",
                "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n",
                "HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nabcdef",
                "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc",
                "HTTP/1.1 200 OK\r\n\r\nabc")) {
            assertThatThrownBy(() -> ((DirectTransfer) new HttpResponseStream(new ByteArrayInputStream(bytes(wire)), 64)
                    .body()).transferExactly(OutputStream.nullOutputStream(), 4)).as(wire)
                    .isInstanceOf(EOFException.class);
        }
    }

    @Test
    void readsFixedLengthAndCloseDelimitedBodies() throws IOException {
        HttpResponseStream fixed = new HttpResponseStream(new ByteArrayInputStream(
                bytes("HTTP/1.1 404 Not Found\r\nContent-Length: 32\r\n\r\n{\"message\":\"No such container\"}\nEXTRA")), 8);
        assertThat(fixed.status()).isEqualTo(404);
        assertThat(fixed.reason()).isEqualTo("Not Found");
        assertThat(new String(fixed.body().readAllBytes(), StandardCharsets.UTF_8))
                .isEqualTo("{\"message\":\"No such container\"}\n");
        HttpResponseStream raw = new HttpResponseStream(new ByteArrayInputStream(
                bytes("HTTP/1.0 200 OK\nServer: x\n\nuntil the end")), 1024);
        assertThat(new String(raw.body().readAllBytes(), StandardCharsets.UTF_8)).isEqualTo("until the end");
    }

    @Test
    void truncatedOrMalformedResponsesFail() {
        assertThatThrownBy(() -> new HttpResponseStream(InputStream.nullInputStream(), 64))
                .isInstanceOf(EOFException.class);
        assertThatThrownBy(() -> new HttpResponseStream(new ByteArrayInputStream(bytes("SSH-2.0-OpenSSH\r\n\r\n")), 64))
                .hasMessageContaining("not an HTTP");
        assertThatThrownBy(() -> new HttpResponseStream(new ByteArrayInputStream(
                bytes("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n10\r\nonly-eight")), 64).body().readAllBytes())
                .isInstanceOf(EOFException.class);
        assertThatThrownBy(() -> new HttpResponseStream(new ByteArrayInputStream(
                bytes("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n")), 64).body().readAllBytes())
                .isInstanceOf(EOFException.class).hasMessageContaining("no final chunk");
        assertThatThrownBy(() -> new HttpResponseStream(new ByteArrayInputStream(
                bytes("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nabc\r\n")), 64).body().readAllBytes())
                .hasMessageContaining("malformed chunk size");
        assertThatThrownBy(() -> new HttpResponseStream(new ByteArrayInputStream(
                bytes("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabcX\r\n0\r\n\r\n")), 64).body().readAllBytes())
                .hasMessageContaining("missing CRLF");
        assertThatThrownBy(() -> new HttpResponseStream(new ByteArrayInputStream(
                bytes("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc")), 64).body().readAllBytes())
                .isInstanceOf(EOFException.class);
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.ISO_8859_1);
    }

    /** Hands out at most {@code max} bytes per read, as a socket may. */
    static final class Dribble extends FilterInputStream {
        private final int max;

        Dribble(InputStream in, int max) {
            super(in);
            this.max = max;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            return super.read(b, off, Math.min(len, max));
        }
    }
}
