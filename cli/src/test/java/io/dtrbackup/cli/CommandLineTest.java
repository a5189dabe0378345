package io.dtrbackup.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.dtrbackup.common.events.BackupRequested;
import io.dtrbackup.common.events.Trigger;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
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
    @ValueSource(strings = {"demo", "stack", "backup", "watch", "clusters", "list", "show", "fetch", "verify"})
    void everyCommandHasHelp(String command) {
        Run r = run(command, "--help");
        assertThat(r.code()).isZero();
        assertThat(r.out()).startsWith("Usage: dtr-backup " + command);
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
    void unknownCommandIsAUsageError() {
        assertThat(run("bakcup").code()).isEqualTo(ExitCodes.USAGE);
    }

    @Test
    void connectionPrecedenceIsFlagThenEnvThenFileThenDefault() throws Exception {
        Path file = tmp.resolve(".dtr-backup/connection.json");
        new ConnectionFile("file:9092", null, "http://file:9000", null, "/f/access", "/f/secret", null, "file-bucket",
                "/f/pass", null, null, "/f/clusters.yaml", null).write(file);
        CommandLine cmd = DtrBackupCli.commandLine();
        var parsed = cmd.parseArgs("list", "--s3-endpoint", "http://flag:9000");
        ConnectionOptions options = ((ListCommand) parsed.subcommand().commandSpec().userObject()).connection;
        Connection c = options.resolve(Map.of("DTR_BACKUP_KAFKA_BOOTSTRAP_SERVERS", "env:9092"), tmp, tmp.resolve("home"));
        assertThat(c.s3Endpoint()).isEqualTo("http://flag:9000");
        assertThat(c.bootstrapServers()).isEqualTo("env:9092");
        assertThat(c.backupBucket()).isEqualTo("file-bucket");
        assertThat(c.s3AccessKeyFile()).isEqualTo(Path.of("/f/access"));
        assertThat(c.passphraseFile()).isEqualTo(Path.of("/f/pass"));
        assertThat(c.stagingBucket()).isEqualTo("dtr-backup-staging");
        assertThat(c.s3Region()).isEqualTo("us-east-1");
        assertThat(c.source()).isEqualTo(file);
        // The connection file names secret files, never secrets, and only its owner may read it.
        assertThat(Files.readString(file)).contains("/f/access").doesNotContain("\"secret\"");
        assertThat(Files.getPosixFilePermissions(file)).hasSize(2);
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
