package io.dtrbackup.cli;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.classic.spi.ThrowableProxyUtil;
import ch.qos.logback.core.read.ListAppender;
import io.dtrbackup.contract.events.BackupRequested;
import io.dtrbackup.contract.events.Trigger;
import io.dtrbackup.testsupport.SecretScan;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.slf4j.LoggerFactory;
import picocli.CommandLine;

class CommandLineTest {
    @TempDir
    Path tmp;

    record Run(int code, String out, String err) {
    }

    static Run run(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        CommandLine cmd = DtrBackupCli.commandLine();
        cmd.setOut(new PrintWriter(out, true));
        cmd.setErr(new PrintWriter(err, true));
        int code = cmd.execute(args);
        return new Run(code, out.toString(), err.toString());
    }

    @ParameterizedTest
    @ValueSource(strings = {"backup", "watch", "clusters", "list", "show", "fetch", "verify"})
    void everyCommandHasHelp(String command) {
        Run r = run(command, "--help");
        assertThat(r.code()).isZero();
        assertThat(r.out()).startsWith("Usage: dtr-backup " + command);
    }

    @ParameterizedTest
    @ValueSource(strings = {"demo", "stack"})
    void theEmbeddedStacksCommandsAreNotInTheOpsJarAndTheErrorSaysWhereTheyAre(String command) {
        Run r = run(command);
        assertThat(r.code()).isEqualTo(ExitCodes.USAGE);
        assertThat(r.err()).contains("./dtr-backup " + command + " runs it from the embedded-stack module's jar");
    }

    @Test
    void backupOptionsBecomeTheRequest() {
        CommandLine cmd = DtrBackupCli.commandLine();
        CommandLine.ParseResult parsed = cmd.parseArgs("backup", "--cluster", "prod-eu-1", "--replica", "a1640e1c15b6",
                "--offline", "--skip-images", "--ignore-events-table", "--ignore-scan-data", "--force",
                "--requested-by", "alice");
        BackupCommand backup = (BackupCommand) parsed.subcommand().commandSpec().userObject();
        BackupRequested request = backup.request(Instant.parse("2026-11-25T02:00:00Z"));
        assertThat(request.clusterId()).isEqualTo("prod-eu-1");
        assertThat(request.trigger()).isEqualTo(Trigger.MANUAL);
        assertThat(request.requestedBy()).isEqualTo("alice");
        assertThat(request.backupId()).startsWith("bk-20261125T020000Z-");
        var o = request.options();
        assertThat(o.replicaId()).isEqualTo("a1640e1c15b6");
        assertThat(o.offline() && o.skipImages() && o.ignoreEventsTable() && o.ignoreScanData() && o.force()).isTrue();
        assertThat(o.allowReplicaFallback()).isFalse();
    }

    @Test
    void missingRequiredOptionIsAUsageError() {
        Run r = run("backup");
        assertThat(r.code()).isEqualTo(ExitCodes.USAGE);
        assertThat(r.err()).contains("Missing required option: '--cluster=ID'").contains("dtr-backup backup --help");
    }

    @Test
    void badReplicaIdIsAUsageErrorThatSaysWhatAReplicaIdIs() {
        Run r = run("backup", "--cluster", "c1", "--replica", "NOT-HEX", "--bootstrap", "127.0.0.1:1");
        assertThat(r.code()).isEqualTo(ExitCodes.USAGE);
        assertThat(r.err()).contains("12 lower-case hex characters");
    }

    @Test
    void badDurationIsAUsageError() {
        Run r = run("backup", "--cluster", "c1", "--wait", "--timeout", "soon", "--bootstrap", "127.0.0.1:1");
        assertThat(r.code()).isEqualTo(ExitCodes.USAGE);
        assertThat(r.err()).contains("--timeout").contains("30s, 15m");
    }

    @Test
    void listWithoutS3CredentialsSaysWhatToPass() {
        Run r = run("list", "--connection", tmp.resolve("none.json").toString());
        assertThat(r.code()).isEqualTo(ExitCodes.ERROR);
        assertThat(r.err()).contains("does not exist").contains("stack --clusters");
    }

    @Test
    void verifyRefusesThePassphraseFlagsItWouldIgnore() {
        // verify-service decrypts with its own key: a passphrase given to verify would have no effect.
        Run r = run("verify", "bk-20261125T020000Z-3fa1c2d4", "--passphrase-file", tmp.resolve("pass").toString(),
                "--bootstrap", "127.0.0.1:1");
        assertThat(r.code()).as("%s", r).isEqualTo(ExitCodes.USAGE);
        assertThat(r.err()).contains("Unknown options: '--passphrase-file'").contains("verify-service decrypts with its own passphrase")
                .contains("dtr-backup verify --help");
        assertThat(run("verify", "--help").out()).contains("verify-service decrypts with its own passphrase");
    }

    @Test
    void onlyTheCommandsThatUseAPassphraseOfferItsFlags() {
        CommandLine root = DtrBackupCli.commandLine();
        var offering = root.getSubcommands().values().stream()
                .filter(c -> c.getCommandSpec().findOption("--passphrase-file") != null
                        || c.getCommandSpec().findOption("--passphrase-dir") != null
                        || c.getCommandSpec().findOption("--key-id") != null)
                .map(CommandLine::getCommandName).sorted().toList();
        // fetch decrypts with it (stack, which hands it to its embedded services, is embedded-stack's).
        assertThat(offering).containsExactly("fetch");
    }

    @Test
    void unknownCommandIsAUsageError() {
        assertThat(run("bakcup").code()).isEqualTo(ExitCodes.USAGE);
    }

    @Test
    void connectionPrecedenceIsFlagThenEnvThenFileThenDefault() throws Exception {
        Path file = tmp.resolve(".dtr-backup/connection.json");
        // Real secret files, so the connection file could carry their content instead of their paths.
        String accessKey = SecretScan.secret("access-key");
        String secretKey = SecretScan.secret("secret-key");
        String passphrase = SecretScan.secret("passphrase");
        Path access = Secrets.write(tmp.resolve("f/access"), accessKey);
        Path secret = Secrets.write(tmp.resolve("f/secret"), secretKey);
        Path pass = Secrets.write(tmp.resolve("f/pass"), passphrase);
        new ConnectionFile("file:9092", null, "http://file:9000", null, access.toString(), secret.toString(), null,
                "file-bucket", pass.toString(), null, null, "/f/clusters.yaml", null).write(file);
        CommandLine cmd = DtrBackupCli.commandLine();
        var parsed = cmd.parseArgs("list", "--s3-endpoint", "http://flag:9000");
        ConnectionOptions options = ((ListCommand) parsed.subcommand().commandSpec().userObject()).connection;
        Connection c = options.resolve(Map.of("DTR_BACKUP_KAFKA_BOOTSTRAP_SERVERS", "env:9092"), tmp, tmp.resolve("home"));
        assertThat(c.s3Endpoint()).isEqualTo("http://flag:9000");
        assertThat(c.bootstrapServers()).isEqualTo("env:9092");
        assertThat(c.backupBucket()).isEqualTo("file-bucket");
        assertThat(c.s3AccessKeyFile()).isEqualTo(access);
        assertThat(c.passphraseFile()).isEqualTo(pass);
        assertThat(c.stagingBucket()).isEqualTo("dtr-backup-staging");
        assertThat(c.s3Region()).isEqualTo("us-east-1");
        assertThat(c.source()).isEqualTo(file);
        // The connection file names secret files, never secrets, and only its owner may read it.
        String written = Files.readString(file);
        assertThat(written).contains(access.toString()).contains(secret.toString()).contains(pass.toString());
        assertThat(SecretScan.foundIn(written, accessKey, secretKey, passphrase))
                .as("a secret (bare, base64 or hex) in the connection file: %s", written).isEmpty();
        assertThat(Files.getPosixFilePermissions(file)).hasSize(2);
    }

    @Test
    void secretsTheCommandsReadNeverReachTheirOutput() throws Exception {
        String accessKey = SecretScan.secret("access-key");
        String secretKey = SecretScan.secret("secret-key");
        String line1 = SecretScan.secret("passphrase-line1");
        String line2 = SecretScan.secret("passphrase-line2");
        String passphrase = SecretScan.secret("passphrase");
        int closedPort;
        try (java.net.ServerSocket socket = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            closedPort = socket.getLocalPort();
        }
        Path access = Secrets.write(tmp.resolve("s/access"), accessKey);
        Path secret = Secrets.write(tmp.resolve("s/secret"), secretKey);
        Path twoLines = Secrets.write(tmp.resolve("s/two-lines"), line1 + "\n" + line2);
        Path pass = Secrets.write(tmp.resolve("s/pass"), passphrase);
        Path connection = tmp.resolve("connection.json");
        new ConnectionFile("127.0.0.1:" + closedPort, null, "http://127.0.0.1:" + closedPort, null, access.toString(),
                secret.toString(), null, "b", twoLines.toString(), null, null, null, null).write(connection);

        // The passphrase file is read and refused: the error names the file, not its lines.
        Run refused = run("fetch", "bk-x", "--out", tmp.resolve("out").toString(), "--connection", connection.toString());
        assertThat(refused.code()).isEqualTo(ExitCodes.ERROR);
        assertThat(refused.err()).contains("more than one line").contains(twoLines.toString());
        assertThat(SecretScan.foundIn(refused.out() + refused.err(), line1, line2, accessKey, secretKey))
                .as("a secret (bare, base64 or hex) in the refused fetch's output: %s", refused).isEmpty();

        // Passphrase and S3 keys read, then S3 cannot be reached: the error says so, without a key.
        ListAppender<ILoggingEvent> log = new ListAppender<>();
        Logger root = (Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
        log.start();
        root.addAppender(log);
        Run unreachable;
        try {
            unreachable = run("fetch", "bk-x", "--out", tmp.resolve("out").toString(), "--connection",
                    connection.toString(), "--passphrase-file", pass.toString());
        } finally {
            root.detachAppender(log);
        }
        assertThat(unreachable.code()).as("%s", unreachable).isNotZero();
        assertThat(unreachable.err()).startsWith("error: ");
        assertThat(SecretScan.foundIn(unreachable.out() + unreachable.err(), passphrase, accessKey, secretKey))
                .as("a secret (bare, base64 or hex) in the failed fetch's output: %s", unreachable).isEmpty();
        String logged = log.list.stream().map(e -> e.getFormattedMessage() + (e.getThrowableProxy() == null ? ""
                : "\n" + ThrowableProxyUtil.asString(e.getThrowableProxy()))).collect(Collectors.joining("\n"));
        assertThat(SecretScan.foundIn(logged, passphrase, accessKey, secretKey))
                .as("a secret (bare, base64 or hex) in the failed fetch's log: %s", logged).isEmpty();
    }

    @Test
    void withoutAConnectionFileTheServicesDefaultsApply() {
        var parsed = DtrBackupCli.commandLine().parseArgs("list");
        ConnectionOptions options = ((ListCommand) parsed.subcommand().commandSpec().userObject()).connection;
        Connection c = options.resolve(Map.of(), tmp, tmp);
        assertThat(c.bootstrapServers()).isEqualTo("localhost:9092");
        assertThat(c.s3Endpoint()).isEqualTo("http://localhost:9000");
        assertThat(c.backupBucket()).isEqualTo("dtr-backup");
        assertThat(c.source()).isNull();
    }
}
