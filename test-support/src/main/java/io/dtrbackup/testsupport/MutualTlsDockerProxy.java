package io.dtrbackup.testsupport;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.file.Path;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import javax.net.ssl.SSLServerSocket;
import javax.net.ssl.SSLSocket;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A Docker endpoint behind mutual TLS, as UCP puts its engines: a loopback TLS server that demands
 * a client certificate signed by its own CA ({@link #pki()}) and pipes each connection whose
 * handshake passed to an engine's unix socket, byte for byte (hijacked attach streams included).
 * Real engine answers through the client's tcp + TLS code, without reconfiguring the engine.
 * {@link #connectionsServed()} and {@link #handshakesRefused()} show a test that its client
 * really came this way.
 */
public final class MutualTlsDockerProxy implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(MutualTlsDockerProxy.class);

    private final TestPki pki;
    private final Path engineSocket;
    private final SSLServerSocket server;
    private final ExecutorService threads;
    private final AtomicInteger served = new AtomicInteger();
    private final AtomicInteger refused = new AtomicInteger();

    private MutualTlsDockerProxy(TestPki pki, Path engineSocket, SSLServerSocket server) {
        this.pki = pki;
        this.engineSocket = engineSocket;
        this.server = server;
        this.threads = Executors.newCachedThreadPool(r -> {
            Thread t = new Thread(r, "mtls-proxy");
            t.setDaemon(true);
            return t;
        });
        threads.submit(this::acceptLoop);
    }

    /**
     * Starts a proxy in front of {@code dockerHost}, a {@code unix://} endpoint (the shared engine
     * or a {@link PrivateDockerEngine}).
     */
    public static MutualTlsDockerProxy start(String dockerHost) throws Exception {
        if (!dockerHost.startsWith("unix://")) {
            throw new IllegalArgumentException("the proxy forwards to a unix socket, got " + dockerHost);
        }
        TestPki pki = new TestPki();
        SSLServerSocket server = (SSLServerSocket) pki.serverContext().getServerSocketFactory()
                .createServerSocket(0, 50, InetAddress.getLoopbackAddress());
        server.setNeedClientAuth(true);
        return new MutualTlsDockerProxy(pki, Path.of(dockerHost.substring("unix://".length())), server);
    }

    /** {@code tcp://localhost:<port>}: the engine certificate names localhost. */
    public String endpoint() {
        return "tcp://localhost:" + server.getLocalPort();
    }

    public TestPki pki() {
        return pki;
    }

    /** A client bundle this proxy accepts. */
    public Path writeClientBundle(Path dir) throws IOException {
        return pki.writeClientBundle(dir);
    }

    /** A bundle that trusts this proxy but whose client certificate it refuses (another CA signed it). */
    public Path writeStrangerBundle(Path dir) throws IOException {
        return pki.writeStrangerBundle(dir);
    }

    /** Connections whose handshake (client certificate included) passed and that were piped to the engine. */
    public int connectionsServed() {
        return served.get();
    }

    /** Connections whose TLS handshake failed, e.g. for a missing or foreign client certificate. */
    public int handshakesRefused() {
        return refused.get();
    }

    private void acceptLoop() {
        while (!server.isClosed()) {
            SSLSocket client;
            try {
                client = (SSLSocket) server.accept();
            } catch (IOException e) {
                return; // closed
            }
            threads.submit(() -> connect(client));
        }
    }

    private void connect(SSLSocket client) {
        try {
            // The server's side of the handshake ends after the client's certificate was checked
            // (needClientAuth): without one this CA signed, it fails here.
            client.setSoTimeout(10_000);
            client.startHandshake();
            client.setSoTimeout(0); // streams (attach, archives) may stay quiet for long
        } catch (IOException e) {
            refused.incrementAndGet();
            LOG.debug("refused a TLS client: {}", e.toString());
            closeQuietly(client);
            return;
        }
        SocketChannel engine;
        try {
            engine = SocketChannel.open(StandardProtocolFamily.UNIX);
            engine.connect(UnixDomainSocketAddress.of(engineSocket));
        } catch (IOException e) {
            LOG.warn("cannot reach the engine at {}: {}", engineSocket, e.toString());
            closeQuietly(client);
            return;
        }
        served.incrementAndGet();
        threads.submit(() -> {
            try (InputStream in = client.getInputStream()) {
                in.transferTo(new ChannelOut(engine));
                engine.shutdownOutput(); // the client's request side ended; the engine may still answer
            } catch (IOException e) {
                closeQuietly(engine);
            }
        });
        threads.submit(() -> {
            try (OutputStream out = client.getOutputStream()) {
                new ChannelIn(engine).transferTo(out);
                out.flush();
            } catch (IOException e) {
                // the client went away
            } finally {
                closeQuietly(client);
                closeQuietly(engine);
            }
        });
    }

    private static void closeQuietly(AutoCloseable c) {
        try {
            c.close();
        } catch (Exception ignored) {
            // closing anyway
        }
    }

    @Override
    public void close() throws Exception {
        server.close();
        threads.shutdownNow();
        threads.awaitTermination(10, TimeUnit.SECONDS);
    }

    /*
     * Not Channels.newInputStream/newOutputStream: both take the channel's blocking lock, so a read
     * waiting for the engine's answer would stall the write of the request.
     */
    private static final class ChannelIn extends InputStream {
        private final SocketChannel channel;

        ChannelIn(SocketChannel channel) {
            this.channel = channel;
        }

        @Override
        public int read() throws IOException {
            byte[] one = new byte[1];
            return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
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
    }

    private static final class ChannelOut extends OutputStream {
        private final SocketChannel channel;

        ChannelOut(SocketChannel channel) {
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
