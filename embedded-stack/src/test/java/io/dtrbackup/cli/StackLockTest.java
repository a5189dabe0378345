package io.dtrbackup.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * One stack per state directory, held against another process (the lock is the OS's, so a real
 * second process is the test): the second {@code stack} is refused naming the first, and changes no
 * file of the state directory or the connection file; a killed holder blocks nothing.
 */
class StackLockTest {
    @TempDir
    Path tmp;

    Process holder;

    @AfterEach
    void killHolder() {
        if (holder != null) {
            holder.destroyForcibly();
        }
    }

    @Test
    void aSecondStackOnTheSameStateDirIsRefusedAndTouchesNothing() throws Exception {
        Path state = tmp.resolve("stack");
        Path connection = tmp.resolve("connection.json");
        Path clusters = Files.writeString(tmp.resolve("clusters.yaml"), "clusters: []\n");
        // A state directory as a stack leaves it: broker data, objects, secrets, a connection file.
        Files.createDirectories(state.resolve("kafka/__cluster_metadata-0"));
        Files.writeString(state.resolve("kafka/meta.properties"), "node.id=1\n");
        Files.writeString(state.resolve("kafka/__cluster_metadata-0/00000000000000000000.log"), "log");
        Files.createDirectories(state.resolve("s3/dtr-backup"));
        StackSecrets.loadOrCreate(state.resolve("secrets"));
        Secrets.write(state.resolve("secrets/backup-passphrase"), Secrets.randomPassphrase());
        Secrets.write(state.resolve("secrets/handoff-token"), Secrets.randomPassphrase());
        Files.writeString(connection, "{\"bootstrapServers\":\"127.0.0.1:9092\"}");
        holder = holdLock(state, connection);
        Map<String, String> before = snapshot(tmp);

        EmbeddedCommandLineTest.Run second = EmbeddedCommandLineTest.run("stack", "--clusters", clusters.toString(),
                "--state-dir", state.toString(), "--connection-file", connection.toString());

        assertThat(second.code()).as("%s", second).isEqualTo(ExitCodes.ERROR);
        assertThat(second.err()).contains("a dtr-backup stack is already running on " + state.toAbsolutePath())
                .contains("pid " + holder.pid()).containsPattern("started \\d{4}-\\d\\d-\\d\\dT")
                .contains("connection file " + connection.toAbsolutePath()).contains("nothing was changed");
        assertThat(second.out()).doesNotContain("starting the embedded stack");
        assertThat(snapshot(tmp)).as("files (path -> size, mtime) after the refused start").isEqualTo(before);
        assertThat(holder.isAlive()).isTrue();
    }

    @Test
    void aKilledStackBlocksNothing() throws Exception {
        Path state = tmp.resolve("stack");
        holder = holdLock(state, tmp.resolve("c.json"));
        assertThatThrownBy(() -> StackLock.acquire(state, null)).isInstanceOf(CliException.class)
                .hasMessageContaining("pid " + holder.pid());
        holder.destroyForcibly().waitFor(30, TimeUnit.SECONDS); // SIGKILL: no shutdown hook, no clean-up
        try (StackLock lock = StackLock.acquire(state, null)) {
            assertThat(Files.readString(state.resolve(StackLock.FILE))).contains("pid=" + ProcessHandle.current().pid());
        }
    }

    @Test
    void insideOneJvmTheSecondIsRefusedAndTheFirstKeepsItsLock() throws Exception {
        Path state = tmp.resolve("stack");
        try (StackLock first = StackLock.acquire(state, tmp.resolve("c.json"))) {
            assertThatThrownBy(() -> StackLock.acquire(state.resolve("../stack"), null)).isInstanceOf(CliException.class)
                    .hasMessageContaining("pid " + ProcessHandle.current().pid())
                    .hasMessageContaining("connection file " + tmp.resolve("c.json").toAbsolutePath());
            // The refusal opened no second channel, whose close would have dropped the OS lock.
            Process other = new ProcessBuilder(javaCommand(state, tmp.resolve("other.json"))).redirectErrorStream(true).start();
            try {
                String output = new String(other.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
                assertThat(other.waitFor(60, TimeUnit.SECONDS)).isTrue();
                assertThat(output).as("another process while this JVM holds the lock").contains("already running")
                        .doesNotContain("locked ");
            } finally {
                other.destroyForcibly();
            }
        }
        try (StackLock again = StackLock.acquire(state, null)) {
            assertThat(again.stateDir()).isEqualTo(state.toAbsolutePath());
        }
    }

    private Process holdLock(Path state, Path connection) throws IOException {
        Process p = new ProcessBuilder(javaCommand(state, connection)).redirectErrorStream(true).start();
        String first = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8)).readLine();
        assertThat(first).as("the lock holder's first line").startsWith("locked ");
        return p;
    }

    private static java.util.List<String> javaCommand(Path state, Path connection) {
        return java.util.List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-cp",
                System.getProperty("java.class.path"), StackLockHolder.class.getName(), state.toString(), connection.toString());
    }

    private static Map<String, String> snapshot(Path root) throws IOException {
        Map<String, String> files = new TreeMap<>();
        try (Stream<Path> all = Files.walk(root)) {
            for (Path p : all.toList()) {
                files.put(root.relativize(p).toString(), (Files.isDirectory(p) ? "dir" : Files.size(p) + " bytes")
                        + ", modified " + Files.getLastModifiedTime(p).toInstant());
            }
        }
        return files;
    }
}
