package io.dtrbackup.common.docker;

import io.dtrbackup.common.archive.BulkInputStream;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.dtrbackup.common.clusters.ClusterSpec;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.StandardProtocolFamily;
import java.net.URI;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;

/**
 * A small streaming HTTP/1.1 client for the Docker Engine API: a unix socket, or tcp with mutual
 * TLS from a UCP client bundle (ca.pem, cert.pem, key.pem). It exists because docker-java reads
 * chunked archive bodies at about 55 MB/s while the engine serves 300+ MB/s: here a response body
 * is read straight off the socket into the caller's buffer. One connection per request
 * ({@code Connection: close}); the caller closes the {@link Response}.
 */
public final class DockerEngine {
    /** Newest API version this client speaks; older engines are talked to in their own version. */
    public static final String MAX_API_VERSION = "1.41";
    private static final ObjectMapper JSON = new ObjectMapper();

    private final String endpoint;
    private final Path unixSocket;
    private final String host;
    private final int port;
    private final SSLContext tls;
    private final Duration connectTimeout;
    private final Duration readTimeout;
    private final int bufferSize;
    private volatile String apiPrefix;

    DockerEngine(String endpoint, Path unixSocket, String host, int port, SSLContext tls, Duration connectTimeout,
            Duration readTimeout, int bufferSize) {
        this.endpoint = endpoint;
        this.unixSocket = unixSocket;
        this.host = host;
        this.port = port;
        this.tls = tls;
        this.connectTimeout = connectTimeout;
        this.readTimeout = readTimeout;
        this.bufferSize = bufferSize;
    }

    /** The engine of a cluster, with TLS material read through docker-java's PEM loading. */
    public static DockerEngine forEndpoint(ClusterSpec.DockerEndpoint spec, Duration connectTimeout,
            Duration readTimeout) {
        String ep = spec.endpoint();
        if (ep.startsWith("unix://")) {
            return unix(Path.of(ep.substring("unix://".length())), connectTimeout, readTimeout);
        }
        if (!ep.startsWith("tcp://")) {
            throw new IllegalArgumentException("unsupported Docker endpoint " + ep + " (unix:// or tcp://)");
        }
        URI uri = URI.create("tcp://" + ep.substring("tcp://".length()));
        int port = uri.getPort() > 0 ? uri.getPort() : (spec.clientBundle() != null ? 2376 : 2375);
        SSLContext tls = null;
        if (spec.clientBundle() != null) {
            try {
                // Same PEM handling (PKCS#1/PKCS#8/EC keys, CA chains) as every other Docker client here.
                tls = DockerClients.config(spec).getSSLConfig().getSSLContext();
            } catch (Exception e) {
                throw new IllegalArgumentException("cannot load the client bundle in " + spec.clientBundle()
                        + " (ca.pem, cert.pem, key.pem): " + e.getMessage(), e);
            }
        } else if (!spec.allowPlainTcp()) {
            throw new IllegalArgumentException("refusing plain tcp Docker endpoint " + ep
                    + ": give a UCP client bundle (mutual TLS) or set allowPlainTcp in the cluster registry");
        }
        return new DockerEngine(ep, null, uri.getHost(), port, tls, connectTimeout, readTimeout, 1 << 20);
    }

    public static DockerEngine unix(Path socket, Duration connectTimeout, Duration readTimeout) {
        return new DockerEngine("unix://" + socket, socket, null, -1, null, connectTimeout, readTimeout, 1 << 20);
    }

    /** A tcp engine with an explicit TLS context (null for plain tcp); for tests and tools. */
    public static DockerEngine tcp(String host, int port, SSLContext tls, Duration connectTimeout,
            Duration readTimeout) {
        return new DockerEngine("tcp://" + host + ":" + port, null, host, port, tls, connectTimeout, readTimeout,
                1 << 20);
    }

    public String endpoint() {
        return endpoint;
    }

    /** A response being read; closing it closes the connection. */
    public static final class Response implements AutoCloseable {
        private final AutoCloseable connection;
        private final HttpResponseStream http;

        Response(AutoCloseable connection, HttpResponseStream http) {
            this.connection = connection;
            this.http = http;
        }

        public int status() {
            return http.status();
        }

        public String header(String lowerCaseName) {
            return http.header(lowerCaseName);
        }

        public InputStream body() {
            return http.body();
        }

        /** The engine's {@code {"message": ...}} of an error response, or the raw text. */
        public String errorMessage() {
            try {
                byte[] bytes = http.body().readNBytes(64 * 1024);
                String text = new String(bytes, StandardCharsets.UTF_8).trim();
                try {
                    JsonNode node = JSON.readTree(text);
                    if (node != null && node.hasNonNull("message")) {
                        return node.get("message").asText();
                    }
                } catch (IOException notJson) {
                    // fall through: plain text error
                }
                return text.isEmpty() ? http.reason() : text;
            } catch (IOException e) {
                return http.reason();
            }
        }

        @Override
        public void close() {
            try {
                connection.close();
            } catch (Exception e) {
                // closing a finished or broken connection: nothing to do
            }
        }
    }

    /** GET {@code path} (with query); the caller closes the response. */
    public Response get(String pathAndQuery) throws DockerApiException {
        AutoCloseable connection = null;
        try {
            InputStream in;
            OutputStream out;
            if (unixSocket != null) {
                SocketChannel channel = SocketChannel.open(StandardProtocolFamily.UNIX);
                connection = channel;
                channel.connect(UnixDomainSocketAddress.of(unixSocket));
                in = new ChannelInput(channel);
                out = new ChannelOutput(channel);
            } else {
                Socket socket = new Socket();
                connection = socket;
                socket.setReceiveBufferSize(4 << 20);
                socket.connect(new InetSocketAddress(host, port), (int) connectTimeout.toMillis());
                socket.setSoTimeout((int) Math.min(Integer.MAX_VALUE, readTimeout.toMillis()));
                if (tls != null) {
                    SSLSocket ssl = (SSLSocket) tls.getSocketFactory().createSocket(socket, host, port, true);
                    connection = ssl;
                    SSLParameters params = ssl.getSSLParameters();
                    params.setEndpointIdentificationAlgorithm("HTTPS"); // the engine's cert must name the host
                    ssl.setSSLParameters(params);
                    ssl.startHandshake();
                    socket = ssl;
                }
                in = socket.getInputStream();
                out = socket.getOutputStream();
            }
            String hostHeader = unixSocket != null ? "docker" : host + ":" + port;
            String request = "GET " + pathAndQuery + " HTTP/1.1\r\nHost: " + hostHeader
                    + "\r\nUser-Agent: dtr-backup-image-service\r\nAccept: */*\r\nConnection: close\r\n\r\n";
            OutputStream buffered = new BufferedOutputStream(out, 8192);
            buffered.write(request.getBytes(StandardCharsets.ISO_8859_1));
            buffered.flush();
            return new Response(connection, new HttpResponseStream(in, bufferSize));
        } catch (IOException e) {
            closeQuietly(connection);
            throw new DockerApiException("Docker API " + endpoint + " GET " + pathAndQuery + " failed: " + e, e);
        } catch (RuntimeException e) {
            closeQuietly(connection);
            throw e;
        }
    }

    /** GET a JSON document; a non-2xx answer becomes a {@link DockerApiException} with the engine's message. */
    public JsonNode getJson(String pathAndQuery) throws DockerApiException {
        try (Response r = get(pathAndQuery)) {
            if (r.status() / 100 != 2) {
                throw new DockerApiException("Docker API " + endpoint + " GET " + pathAndQuery + ": HTTP " + r.status()
                        + " " + r.errorMessage(), r.status());
            }
            try {
                return JSON.readTree(r.body());
            } catch (IOException e) {
                throw new DockerApiException("Docker API " + endpoint + " GET " + pathAndQuery
                        + ": unreadable JSON: " + e.getMessage(), e);
            }
        }
    }

    /**
     * {@code /v<version>} to put before API paths: the engine's version, capped at
     * {@link #MAX_API_VERSION}, asked once (the version endpoint itself is unversioned).
     */
    public String apiPrefix() throws DockerApiException {
        String prefix = apiPrefix;
        if (prefix == null) {
            JsonNode version = getJson("/version");
            String engine = version.path("ApiVersion").asText("");
            prefix = "/v" + (engine.isEmpty() ? MAX_API_VERSION : minVersion(engine, MAX_API_VERSION));
            apiPrefix = prefix;
        }
        return prefix;
    }

    static String minVersion(String a, String b) {
        String[] x = a.split("\\.");
        String[] y = b.split("\\.");
        for (int i = 0; i < Math.max(x.length, y.length); i++) {
            int xi = i < x.length ? Integer.parseInt(x[i]) : 0;
            int yi = i < y.length ? Integer.parseInt(y[i]) : 0;
            if (xi != yi) {
                return xi < yi ? a : b;
            }
        }
        return a;
    }

    private static void closeQuietly(AutoCloseable c) {
        if (c != null) {
            try {
                c.close();
            } catch (Exception ignored) {
                // already failing
            }
        }
    }

    /** Blocking reads straight into the caller's array (no intermediate stream buffering). */
    private static final class ChannelInput extends BulkInputStream {
        private final SocketChannel channel;

        ChannelInput(SocketChannel channel) {
            this.channel = channel;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            if (len == 0) {
                return 0;
            }
            int n;
            do {
                n = channel.read(ByteBuffer.wrap(b, off, len));
            } while (n == 0);
            return n;
        }

        @Override
        public void close() throws IOException {
            channel.close();
        }
    }

    private static final class ChannelOutput extends OutputStream {
        private final SocketChannel channel;

        ChannelOutput(SocketChannel channel) {
            this.channel = channel;
        }

        @Override
        public void write(int b) throws IOException {
            write(new byte[] {(byte) b}, 0, 1);
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
            ByteBuffer buffer = ByteBuffer.wrap(b, off, len);
            while (buffer.hasRemaining()) {
                channel.write(buffer);
            }
        }
    }
}
