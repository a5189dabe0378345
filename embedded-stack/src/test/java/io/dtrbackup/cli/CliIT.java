package io.dtrbackup.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.dtrbackup.testsupport.DtrSimulator;
import io.dtrbackup.testsupport.RegistryTreeGenerator;
import io.dtrbackup.testsupport.RegistryTreeSpec;
import io.dtrbackup.testsupport.ReplicaSpec;
import io.dtrbackup.testsupport.SimulatedReplica;
import io.dtrbackup.testsupport.SimulatedUcp;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.time.Instant;
import java.util.HexFormat;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;

/**
 * End to end through the CLI's own code: the embedded stack (real KRaft broker, S3Proxy, the five
 * service verticles) and a simulated DTR replica on the real Docker engine; {@code backup --wait},
 * {@code list}, {@code show}, {@code clusters}, {@code fetch} and {@code verify} run as a user
 * runs them (picocli, connection file), and the results are checked against the simulator and
 * stock gpg; the {@code --output json} documents are parsed back and checked against the text.
 * Fails (never skips) without Docker.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class CliIT {
    static final String VERSION = "2.9.4";

    @TempDir
    static Path dir;

    static DtrSimulator simulator;
    static SimulatedReplica replica;
    static EmbeddedStack stack;
    static DemoFiles files;
    static Path connection;
    static String backupId;

    @BeforeAll
    static void start() throws Exception {
        simulator = DtrSimulator.start();
        SimulatedUcp ucp = SimulatedUcp.random();
        simulator.installDtrImage(VERSION, ucp);
        replica = simulator.createReplica(ReplicaSpec.of(VERSION, ucp)
                .withTree(RegistryTreeSpec.withLarge(5, 1, 24L * 1024 * 1024)));
        files = DemoFiles.write(dir.resolve("files"), "it-1", DtrSimulator.defaultDockerHost(), ucp, Secrets.randomPassphrase(),
                Duration.ofHours(26));
        connection = dir.resolve("connection.json");
        stack = EmbeddedStack.start(StackLock.acquire(dir.resolve("stack"), connection), DemoCommand.stackSettings(files),
                Services.all(), Duration.ofMinutes(2));
        stack.connectionFile().write(connection);
    }

    @AfterAll
    static void stop() {
        if (stack != null) {
            stack.close();
        }
        if (simulator != null) {
            simulator.close();
        }
    }

    static EmbeddedCommandLineTest.Run cli(String... args) {
        String[] all = new String[args.length + 2];
        System.arraycopy(args, 0, all, 0, args.length);
        all[args.length] = "--connection";
        all[args.length + 1] = connection.toString();
        return EmbeddedCommandLineTest.run(all);
    }

    @Test
    @Order(1)
    void backupWaitFollowsTheBackupToCompleted() {
        // The replica is named: other engineers' simulated replicas share this Docker engine.
        var r = cli("backup", "--cluster", "it-1", "--replica", replica.replicaId(), "--wait", "--plain", "--timeout", "3m");
        assertThat(r.code()).as(r.out() + r.err()).isEqualTo(ExitCodes.OK);
        Matcher m = Pattern.compile("backup (bk-\\S+): COMPLETED").matcher(r.out());
        assertThat(m.find()).as(r.out()).isTrue();
        backupId = m.group(1);
        assertThat(r.out()).contains(backupId + " BACKING_UP (replica " + replica.replicaId() + ", DTR " + VERSION + ")")
                .contains("images   VERIFIED").contains("metadata VERIFIED")
                .contains("object   it-1/" + backupId + "/dtr-image-backup-");
    }

    @Test
    @Order(2)
    void anUnknownClusterEndsWithAFailureExitCodeAndTheReason() {
        var r = cli("backup", "--cluster", "no-such-cluster", "--wait", "--plain", "--timeout", "1m");
        assertThat(r.code()).as(r.out()).isEqualTo(ExitCodes.FAILED);
        assertThat(r.out()).containsPattern("backup bk-\\S+: (REJECTED|FAILED)").contains("no-such-cluster");
    }

    @Test
    @Order(3)
    void listShowAndClustersReadTheStoredManifestAndClusterState() {
        var list = cli("list");
        assertThat(list.code()).isZero();
        assertThat(list.out()).containsPattern(Pattern.quote(backupId) + "\\s+it-1\\s+\\S+ \\S+\\s+" + VERSION + "\\s+COMPLETED");
        var show = cli("show", backupId);
        assertThat(show.code()).isZero();
        assertThat(show.out()).contains("replica    " + replica.replicaId() + ", DTR " + VERSION)
                .contains("file       dtr-metadata-" + VERSION + "-backup-");
        var clusters = cli("clusters", "--html", dir.resolve("board.html").toString());
        assertThat(clusters.code()).as(clusters.out() + clusters.err()).isZero();
        assertThat(clusters.out()).containsPattern("it-1\\s+FRESH\\s+\\S+\\s+1d02h\\s+" + Pattern.quote(backupId));
        assertThat(dir.resolve("board.html")).content().contains("<g class=\"row fresh\"><title>it-1: FRESH");
    }

    @Test
    @Order(4)
    void fetchGivesBackTheSimulatorsMetadataTarAndVolumeExactly() throws Exception {
        Path out = dir.resolve("restore");
        var r = cli("fetch", backupId, "--out", out.toString());
        assertThat(r.code()).as(r.out() + r.err()).isZero();
        Path metadata;
        Path images;
        try (var s = Files.list(out)) {
            List<Path> got = s.sorted().toList();
            assertThat(got).hasSize(2);
            images = got.get(0);
            metadata = got.get(1);
        }
        assertThat(metadata.getFileName().toString()).matches("dtr-metadata-2\\.9\\.4-backup-\\d{8}-\\d{2}_\\d{2}_\\d{2}\\.tar");
        assertThat(images.getFileName().toString()).matches("dtr-image-backup-\\d{8}-\\d{2}_\\d{2}_\\d{2}\\.tar");
        assertThat(sha256(metadata)).isEqualTo(DtrSimulator.expectedMetadataTarSha256(VERSION, true, false, false, 0));
        try (InputStream in = Files.newInputStream(images)) {
            var entries = RegistryTreeGenerator.readTar(in, "var/lib/docker/volumes/" + replica.volumeName() + "/_data/");
            assertThat(entries).containsExactlyInAnyOrderElementsOf(simulator.readVolumeEntries(replica.volumeName()));
        }
        assertThat(r.out()).contains("sudo tar -xf " + images + " -C /").contains("restore")
                .containsSubsequence("1. Restore UCP first", "2. Image content", "3. Metadata");
    }

    @Test
    @Order(5)
    void theStoredObjectDecryptsWithStockGpg() throws Exception {
        Path stored = stack.s3Dir().resolve("dtr-backup").resolve("it-1").resolve(backupId);
        Path gpgFile;
        try (var s = Files.list(stored)) {
            gpgFile = s.filter(p -> p.getFileName().toString().startsWith("dtr-metadata-")
                    && p.getFileName().toString().endsWith(".tar.gpg")).findFirst().orElseThrow();
        }
        Process p = new ProcessBuilder("gpg", "--batch", "--homedir", Files.createDirectories(dir.resolve("gnupg")).toString(),
                "--passphrase-file", files.passphraseFile().toString(), "-d", gpgFile.toString())
                .redirectError(ProcessBuilder.Redirect.DISCARD).start();
        ByteArrayOutputStream plain = new ByteArrayOutputStream();
        p.getInputStream().transferTo(plain);
        assertThat(p.waitFor()).isZero();
        assertThat(HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(plain.toByteArray())))
                .isEqualTo(DtrSimulator.expectedMetadataTarSha256(VERSION, true, false, false, 0));
    }

    @Test
    @Order(6)
    void verifyAsksVerifyServiceAndReportsIntact() {
        var r = cli("verify", backupId, "--timeout", "2m");
        assertThat(r.code()).as(r.out() + r.err()).isZero();
        assertThat(r.out()).contains("backup " + backupId + " is intact");
    }

    @Test
    @Order(7)
    void watchOnceShowsTheFinishedBackups() {
        var r = cli("watch", "--once", "--since", "1h");
        assertThat(r.code()).isZero();
        assertThat(r.out()).contains("IN FLIGHT (0)").containsPattern(Pattern.quote(backupId) + "\\s+it-1\\s+COMPLETED");
    }

    @Test
    @Order(8)
    void jsonOutputSaysWhatTheTextSaysAndNothingElseIsOnStdout() throws Exception {
        // Trailing tokens fail the parse: stdout must hold the document and nothing after it.
        ObjectMapper json = new ObjectMapper().enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);
        // list: every backup of the text table, with the same cluster, version and status.
        var listText = cli("list");
        var list = cli("list", "--output", "json");
        assertThat(list.code()).as(list.err()).isZero();
        JsonNode listDoc = json.readTree(list.out());
        assertThat(listDoc.get("schema").asText()).isEqualTo("dtr-backup.cli.list/v1");
        assertThat(listDoc.get("backups")).isNotEmpty();
        for (JsonNode b : listDoc.get("backups")) {
            assertThat(listText.out()).containsPattern(Pattern.quote(b.get("backupId").asText()) + "\\s+"
                    + Pattern.quote(b.get("clusterId").asText()) + "\\s+\\S+ \\S+\\s+" + Pattern.quote(b.get("dtrVersion").asText())
                    + "\\s+" + b.get("status").asText());
        }
        JsonNode ours = find(listDoc.get("backups"), "backupId", backupId);
        assertThat(ours.get("status").asText()).isEqualTo("COMPLETED");
        assertThat(ours.get("replicaId").asText()).isEqualTo(replica.replicaId());
        assertThat(Instant.parse(ours.get("completedAt").asText())).isBefore(Instant.now());

        // show: the replica, version and the artifacts' files and objects the text shows.
        var showText = cli("show", backupId);
        var show = cli("show", backupId, "--output", "json");
        assertThat(show.code()).as(show.err()).isZero();
        JsonNode backup = json.readTree(show.out()).get("backup");
        assertThat(backup.get("replicaId").asText()).isEqualTo(replica.replicaId());
        assertThat(backup.get("dtrVersion").asText()).isEqualTo(VERSION);
        assertThat(backup.get("artifacts")).hasSize(2);
        for (JsonNode a : backup.get("artifacts")) {
            assertThat(a.get("stored").asBoolean()).isTrue();
            assertThat(showText.out()).contains("file       " + a.get("artifactName").asText())
                    .contains("/" + a.get("objectKey").asText());
            assertThat(a.get("plaintextSha256").asText()).matches("[0-9a-f]{64}");
            assertThat(showText.out()).contains("sha256 " + a.get("plaintextSha256").asText());
        }

        // clusters: the same row, the same exit code; "wrote FILE" goes to stderr, stdout stays one document.
        var clusters = cli("clusters", "--output", "json", "--html", dir.resolve("board2.html").toString());
        assertThat(clusters.code()).as(clusters.err()).isZero();
        assertThat(clusters.err()).contains("wrote " + dir.resolve("board2.html"));
        JsonNode clustersDoc = json.readTree(clusters.out());
        assertThat(clustersDoc.get("allWithinWindow").asBoolean()).isTrue();
        JsonNode it1 = find(clustersDoc.get("clusters"), "clusterId", "it-1");
        assertThat(it1.get("status").asText()).isEqualTo("FRESH");
        assertThat(it1.get("lastBackupId").asText()).isEqualTo(backupId);
        assertThat(it1.get("freshnessWindow").asText()).isEqualTo("PT26H");
        assertThat(it1.get("freshnessWindowSeconds").asLong()).isEqualTo(26 * 3600);
        assertThat(it1.get("ageSeconds").asLong()).isBetween(0L, 3600L);

        // watch --once: nothing in flight, our backup finished COMPLETED, as the text snapshot says.
        var watch = cli("watch", "--once", "--since", "1h", "--output", "json");
        assertThat(watch.code()).as(watch.err()).isZero();
        JsonNode snapshot = json.readTree(watch.out());
        assertThat(snapshot.get("schema").asText()).isEqualTo("dtr-backup.cli.watch/v1");
        assertThat(snapshot.get("inFlight")).isEmpty();
        JsonNode finished = find(snapshot.get("finished"), "backupId", backupId);
        assertThat(finished.get("phase").asText()).isEqualTo("COMPLETED");
        assertThat(finished.get("outcome").get("phase").asText()).isEqualTo("COMPLETED");
        assertThat(finished.get("replicaId").asText()).isEqualTo(replica.replicaId());
        assertThat(finished.get("artifacts").findValuesAsText("phase")).containsOnly("VERIFIED");
    }

    static JsonNode find(JsonNode array, String field, String value) {
        for (JsonNode n : array) {
            if (value.equals(n.path(field).asText(null))) {
                return n;
            }
        }
        throw new AssertionError("no element with " + field + " = " + value + " in " + array);
    }

    @Test
    @Order(9)
    void theLiveBoardShowsTheRealBackupsEndAndTheRejectedOnesReason() throws Exception {
        // The board's own feed and server on the stack's broker: what the five services really wrote.
        BoardState state = new BoardState(FreshnessBoard.windows(files.clustersFile()), 10, 10);
        io.vertx.core.Vertx vertx = io.vertx.core.Vertx.vertx();
        try (BoardFeed feed = new BoardFeed(io.dtrbackup.common.kafka.KafkaSettings.of(stack.bootstrapServers()), state,
                io.dtrbackup.common.kafka.TopicReader.BEGINNING)) {
            BoardServer server = BoardServer.start(vertx, state, "127.0.0.1", 0, null);
            try {
                org.awaitility.Awaitility.await().atMost(Duration.ofMinutes(1)).until(state::ready);
                var http = java.net.http.HttpClient.newHttpClient();
                String body = http.send(java.net.http.HttpRequest.newBuilder(
                        java.net.URI.create("http://127.0.0.1:" + server.port() + "/snapshot.json")).build(),
                        java.net.http.HttpResponse.BodyHandlers.ofString()).body();
                var snapshot = new com.fasterxml.jackson.databind.ObjectMapper().readTree(body);
                com.fasterxml.jackson.databind.JsonNode done = null;
                for (var b : snapshot.get("finished")) {
                    if (b.get("backupId").asText().equals(backupId)) {
                        done = b;
                    }
                }
                assertThat(done).as(body).isNotNull();
                assertThat(done.get("phase").asText()).isEqualTo("COMPLETED");
                assertThat(done.get("outcome").asText()).startsWith("COMPLETED in ").contains("/manifest.json");
                assertThat(done.findValues("state")).extracting(com.fasterxml.jackson.databind.JsonNode::asText)
                        .as("every stage of both artifacts done").hasSize(6).containsOnly("done");
                assertThat(snapshot.get("inFlight")).isEmpty();
                assertThat(snapshot.get("failures").toString()).contains("no-such-cluster");
                var cluster = snapshot.get("clusters").get(0);
                assertThat(cluster.get("clusterId").asText()).isEqualTo("it-1");
                assertThat(cluster.get("status").asText()).isEqualTo("FRESH");
                assertThat(cluster.get("colour").asText()).isEqualTo(HtmlBoard.colour(FreshnessBoard.Status.FRESH));
            } finally {
                server.close();
                vertx.close();
            }
        }
    }

    static String sha256(Path file) throws Exception {
        MessageDigest d = MessageDigest.getInstance("SHA-256");
        try (InputStream in = Files.newInputStream(file)) {
            in.transferTo(new java.security.DigestOutputStream(java.io.OutputStream.nullOutputStream(), d));
        }
        return HexFormat.of().formatHex(d.digest());
    }

    @Test
    @Order(10)
    void aSecondStackInTheSameFolderIsRefusedAndTheRunningOneKeepsWorking() throws Exception {
        Path state = stack.stateDir();
        // What the running stack does not rewrite itself (its broker keeps writing under kafka/).
        List<Path> watched = new java.util.ArrayList<>(List.of(connection, state.resolve(StackLock.FILE)));
        try (var s = Files.list(state.resolve("secrets"))) {
            watched.addAll(s.sorted().toList());
        }
        java.util.Map<Path, String> before = new java.util.LinkedHashMap<>();
        for (Path p : watched) {
            before.put(p, Files.getLastModifiedTime(p) + " " + sha256(p));
        }
        var second = EmbeddedCommandLineTest.run("stack", "--clusters", files.clustersFile().toString(), "--state-dir", state.toString(),
                "--connection-file", connection.toString());
        assertThat(second.code()).as("%s", second).isEqualTo(ExitCodes.ERROR);
        assertThat(second.err()).contains("already running on " + state).contains("pid " + ProcessHandle.current().pid())
                .contains("connection file " + connection.toAbsolutePath());
        for (Path p : watched) {
            assertThat(Files.getLastModifiedTime(p) + " " + sha256(p)).as("%s after the refused second start", p).isEqualTo(before.get(p));
        }
        // The first stack still backs up: broker, store and the five services.
        var r = cli("backup", "--cluster", "it-1", "--replica", replica.replicaId(), "--wait", "--plain",
                "--timeout", "3m");
        assertThat(r.code()).as(r.out() + r.err()).isEqualTo(ExitCodes.OK);
        assertThat(r.out()).containsPattern("backup bk-\\S+: COMPLETED");
    }
}
