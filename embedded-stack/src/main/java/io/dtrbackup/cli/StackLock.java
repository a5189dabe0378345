package io.dtrbackup.cli;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * One stack per state directory. An exclusive OS lock on {@code STATE_DIR/stack.lock}, taken before
 * anything else of the state directory (broker data, objects, secrets) or the connection file is
 * touched, held for the stack's whole life: a second stack on the same directory would format the
 * running broker's KRaft log and rewrite its secrets. The OS drops the lock when the process dies, so
 * a stack killed with SIGKILL does not block the next start. The file holds the holder's PID, start
 * time and connection file, for the refusal message; it is never deleted (deleting a lock file lets
 * two processes lock two different files of the same name).
 *
 * <p>Inside one JVM a second channel on the file must not even be opened: closing it would release
 * the holder's lock at the OS level (POSIX record locks are per process). Locks held by this JVM
 * are therefore looked up in {@link #HELD} first.
 */
final class StackLock implements AutoCloseable {
    static final String FILE = "stack.lock";

    private static final Map<Path, StackLock> HELD = new ConcurrentHashMap<>();

    private final Path stateDir;
    private final FileChannel channel;
    private final FileLock lock;
    private final String holder;

    private StackLock(Path stateDir, FileChannel channel, FileLock lock, String holder) {
        this.stateDir = stateDir;
        this.channel = channel;
        this.lock = lock;
        this.holder = holder;
    }

    /**
     * Locks {@code stateDir} for this process, or fails with {@link ExitCodes#ERROR} and a message
     * naming the running stack, having changed nothing. {@code connectionFile} (null: none) is named
     * in the lock file for that message.
     */
    static StackLock acquire(Path stateDir, Path connectionFile) throws IOException {
        Path dir = stateDir.toAbsolutePath().normalize();
        StackLock inThisJvm = HELD.get(dir);
        if (inThisJvm != null) {
            throw refused(dir, inThisJvm.holder);
        }
        Files.createDirectories(dir);
        Path file = dir.resolve(FILE);
        FileChannel channel = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.READ,
                StandardOpenOption.WRITE);
        FileLock lock;
        try {
            lock = channel.tryLock();
        } catch (OverlappingFileLockException e) {
            // Held by this JVM through a path HELD did not match (a link): the holder is not known here.
            channel.close();
            throw refused(dir, "");
        } catch (IOException e) {
            channel.close();
            throw e;
        }
        if (lock == null) {
            String holder = read(channel);
            channel.close();
            throw refused(dir, holder);
        }
        String holder = "pid=" + ProcessHandle.current().pid() + "\nstarted=" + Instant.now().truncatedTo(ChronoUnit.SECONDS)
                + "\nconnection=" + (connectionFile == null ? "" : connectionFile.toAbsolutePath()) + "\n";
        try {
            channel.truncate(0);
            channel.write(ByteBuffer.wrap(holder.getBytes(StandardCharsets.UTF_8)), 0);
            channel.force(true);
        } catch (IOException e) {
            channel.close();
            throw e;
        }
        StackLock held = new StackLock(dir, channel, lock, holder);
        HELD.put(dir, held);
        return held;
    }

    Path stateDir() {
        return stateDir;
    }

    /** Releases the lock (the file stays). */
    @Override
    public void close() {
        if (HELD.remove(stateDir, this)) {
            try {
                lock.release();
                channel.close();
            } catch (IOException e) {
                // The OS releases it when the process ends anyway.
            }
        }
    }

    private static String read(FileChannel channel) throws IOException {
        ByteBuffer buf = ByteBuffer.allocate((int) Math.min(channel.size(), 4096));
        channel.read(buf, 0);
        return new String(buf.array(), 0, buf.position(), StandardCharsets.UTF_8);
    }

    private static CliException refused(Path dir, String holder) {
        Map<String, String> h = new LinkedHashMap<>();
        holder.lines().map(l -> l.split("=", 2)).filter(kv -> kv.length == 2).forEach(kv -> h.put(kv[0], kv[1].strip()));
        String pid = h.getOrDefault("pid", "");
        String connection = h.getOrDefault("connection", "");
        return new CliException(ExitCodes.ERROR, "a dtr-backup stack is already running on " + dir
                + " (pid " + (pid.isEmpty() ? "unknown" : pid)
                + ", started " + h.getOrDefault("started", "at an unknown time")
                + ", connection file " + (connection.isEmpty() ? "none" : connection) + "); nothing was changed. "
                + "Use that one, stop it first (Ctrl-C in its shell" + (pid.isEmpty() ? "" : ", or kill " + pid)
                + "), or start this one with another --state-dir and --connection-file.");
    }
}
