package io.dtrbackup.cli.fault;

import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A unix-socket relay in front of the Docker engine that can hold new connections: a cluster API that
 * stops answering for a while. discovery-service reads the cluster through it, so a test can keep
 * discovery inside its inspection (connected, waiting for the engine's answer) for as long as it needs
 * and kill it there, instead of racing a stage that takes milliseconds.
 */
final class DockerGate implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(DockerGate.class);

    private final Path socket;
    private final Path engine;
    private final ServerSocketChannel server;
    private final Thread acceptor;
    private final Object lock = new Object();
    private final AtomicInteger waiting = new AtomicInteger();
    private final AtomicInteger relayed = new AtomicInteger();
    private boolean holding;
    private volatile boolean closed;

    private DockerGate(Path socket, Path engine) throws IOException {
        this.socket = socket;
        this.engine = engine;
        Files.deleteIfExists(socket);
        server = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
        server.bind(UnixDomainSocketAddress.of(socket));
        acceptor = new Thread(this::accept, "docker-gate");
        acceptor.setDaemon(true);
        acceptor.start();
    }

    /** A gate at {@code socket} in front of the engine at {@code dockerHost} (a unix:// endpoint). */
    static DockerGate start(Path socket, String dockerHost) throws IOException {
        if (!dockerHost.startsWith("unix://")) {
            throw new IllegalStateException("the Docker gate needs the engine on a unix socket, not " + dockerHost);
        }
        return new DockerGate(socket, Path.of(dockerHost.substring("unix://".length())));
    }

    /** The endpoint to give a cluster registry: unix://&lt;socket&gt;. */
    String endpoint() {
        return "unix://" + socket;
    }

    /** New connections wait at the gate (not connected to the engine) until {@link #release()}. */
    void hold() {
        synchronized (lock) {
            holding = true;
        }
    }

    void release() {
        synchronized (lock) {
            holding = false;
            lock.notifyAll();
        }
    }

    /** Connections waiting at the closed gate right now. */
    int waiting() {
        return waiting.get();
    }

    /** Connections relayed to the engine so far. */
    int relayed() {
        return relayed.get();
    }

    private void accept() {
        while (!closed) {
            try {
                SocketChannel client = server.accept();
                Thread t = new Thread(() -> relay(client), "docker-gate-conn");
                t.setDaemon(true);
                t.start();
            } catch (IOException e) {
                if (!closed) {
                    LOG.warn("docker gate: accept failed: {}", e.toString());
                }
            }
        }
    }

    private void relay(SocketChannel client) {
        try (client) {
            synchronized (lock) {
                if (holding) {
                    waiting.incrementAndGet();
                    try {
                        while (holding && !closed) {
                            lock.wait(100);
                        }
                    } finally {
                        waiting.decrementAndGet();
                    }
                }
            }
            try (SocketChannel upstream = SocketChannel.open(UnixDomainSocketAddress.of(engine))) {
                relayed.incrementAndGet();
                Thread back = new Thread(() -> copy(upstream, client), "docker-gate-back");
                back.setDaemon(true);
                back.start();
                copy(client, upstream);
                back.join(60_000);
            }
        } catch (IOException e) {
            LOG.debug("docker gate: connection ended: {}", e.toString());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static void copy(SocketChannel from, SocketChannel to) {
        ByteBuffer buf = ByteBuffer.allocate(64 * 1024);
        try {
            while (from.read(buf) >= 0) {
                buf.flip();
                while (buf.hasRemaining()) {
                    to.write(buf);
                }
                buf.clear();
            }
            to.shutdownOutput();
        } catch (IOException e) {
            // one side went away (a killed client): the other ends with it
            try {
                to.close();
            } catch (IOException ignored) {
                // already closed
            }
        }
    }

    @Override
    public void close() {
        closed = true;
        release();
        try {
            server.close();
            Files.deleteIfExists(socket);
        } catch (IOException e) {
            LOG.debug("docker gate close: {}", e.toString());
        }
    }
}
