package io.dtrbackup.cli;

import io.dtrbackup.contract.config.CommonConfig;
import io.dtrbackup.contract.config.ConfigException;
import io.dtrbackup.contract.config.ServiceConfig;
import io.dtrbackup.common.kafka.TopicReader;
import io.vertx.core.Vertx;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

@Command(name = "board", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"A live, read-only web page of the pipeline: each cluster's freshness, backups in flight with "
                + "a progress bar per artifact and stage, how recent backups ended, the last failures and their reasons. "
                + "It updates itself (server-sent events) from the dtr-backup.status and dtr-backup.cluster-state topics.",
            "Binds 127.0.0.1 unless --bind says otherwise; any other address needs --token-file. Ctrl-C to stop."},
        footer = {"", "Example:", "  dtr-backup board --port 8080 --clusters clusters.yaml",
            "  dtr-backup board --bind 0.0.0.0 --token-file /run/secrets/board-token",
            "  (then open http://HOST:8080/?token=TOKEN once)"})
final class BoardCommand implements Callable<Integer> {
    /** The environment the board reads (through {@link ConnectionOptions} and the CLI's log setting); deploy/ may set these. */
    static final List<String> ENVIRONMENT = List.of(CommonConfig.KAFKA_BOOTSTRAP_SERVERS.envName(),
            CommonConfig.KAFKA_PROPERTIES_FILE.envName(), CommonConfig.CLUSTERS_FILE.envName(), DtrBackupCli.LOG_ENV);

    @Option(names = "--port", paramLabel = "PORT", defaultValue = "8080", description = "port to listen on (default ${DEFAULT-VALUE}; 0 = any free one)")
    int port;

    @Option(names = "--bind", paramLabel = "ADDR", defaultValue = "127.0.0.1",
            description = "address to listen on (default ${DEFAULT-VALUE}); a non-loopback one needs --token-file")
    String bind;

    @Option(names = "--token-file", paramLabel = "FILE",
            description = "file holding the token every request must carry (one line, 16+ characters): "
                    + "'Authorization: Bearer TOKEN', or open /?token=TOKEN once to get a session cookie")
    Path tokenFile;

    @Mixin
    ClustersFileOption clusters;

    @Option(names = "--since", paramLabel = "DURATION",
            description = "replay the status topic from this long ago only (default: all of it, up to its 30-day retention)")
    String since;

    @Option(names = "--failures", paramLabel = "N", defaultValue = "10", description = "how many of the last failures to show (default ${DEFAULT-VALUE})")
    int failures;

    @Option(names = "--finished", paramLabel = "N", defaultValue = "10", description = "how many finished backups to show (default ${DEFAULT-VALUE})")
    int finished;

    @Mixin
    ConnectionOptions connection;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws InterruptedException {
        byte[] token = tokenFile == null ? null : readToken(tokenFile);
        BoardServer.checkBind(bind, token != null); // before touching Kafka: a refused bind fails at once
        if (port < 0 || port > 65535) {
            throw new CliException(ExitCodes.USAGE, "--port " + port + ": not a port");
        }
        Connection c = connection.resolve();
        Path file = clusters.file(c);
        Map<String, Duration> windows = clusters.windows(c);
        TopicReader.Start start = since == null ? TopicReader.BEGINNING
                : TopicReader.since(Instant.now().minus(BackupCommand.parseDuration(since, "--since")));
        BoardState state = new BoardState(windows, failures, finished);
        Vertx vertx = Vertx.vertx();
        BoardServer server;
        try {
            server = BoardServer.start(vertx, state, bind, port, token);
        } catch (RuntimeException e) {
            vertx.close();
            throw e;
        }
        BoardFeed feed = new BoardFeed(c.kafka(), state, start);
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            feed.close();
            server.close();
            vertx.close();
            stopped.countDown();
        }, "dtr-backup-board-stop"));
        PrintWriter out = spec.commandLine().getOut();
        String host = bind.contains(":") ? "[" + bind + "]" : bind;
        out.println("dtr-backup board on http://" + host + ":" + server.port() + "/ (read-only"
                + (token == null ? "" : "; token from " + tokenFile + ": open /?token=... once, or send a Bearer header")
                + "); Ctrl-C to stop");
        out.println("  Kafka    " + c.bootstrapServers() + "  (topics dtr-backup.status, dtr-backup.cluster-state)");
        out.println("  clusters " + (file == null ? "(no clusters file: only clusters with a recorded backup)" : file));
        out.flush();
        stopped.await();
        return ExitCodes.OK;
    }

    static byte[] readToken(Path file) {
        try {
            return BoardServer.checkToken(ServiceConfig.readSecret(file));
        } catch (ConfigException e) {
            throw new CliException(e.getMessage());
        }
    }
}
