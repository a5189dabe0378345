package io.dtrbackup.cli;

import io.dtrbackup.contract.events.ClusterBackupRecorded;
import io.dtrbackup.common.kafka.TopicReader;
import io.dtrbackup.contract.topics.Topics;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

@Command(name = "clusters", mixinStandardHelpOptions = true,
        description = {"Each cluster, its last verified backup (from the compacted dtr-backup.cluster-state topic) "
                + "and that backup's age against the cluster's freshness window; overdue ones flagged.",
            "Exit 0 when all are fresh, 2 when any is overdue or has never been backed up."},
        footer = {"", "Example:", "  ./dtr-backup clusters --clusters clusters.yaml --html /var/www/board.html",
            "  ./dtr-backup clusters --output json |",
            "      jq -r '.clusters[] | select(.status == \"OVERDUE\") | .clusterId'"})
final class ClustersCommand implements Callable<Integer> {
    @Mixin
    ClustersFileOption clusters;

    @Option(names = "--html", paramLabel = "FILE", description = "also write the board as a self-contained HTML page")
    Path html;

    @Mixin
    OutputOptions output;

    @Mixin
    ConnectionOptions connection;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws IOException {
        Connection c = connection.resolve();
        Map<String, Duration> windows = clusters.windows(c);
        List<ClusterBackupRecorded> latest = new ArrayList<>();
        try (TopicReader reader = KafkaAccess.openReader(c.kafka(), Topics.CLUSTER_STATE, TopicReader.BEGINNING)) {
            KafkaAccess.readToEnd(reader, Duration.ofMinutes(1), e -> {
                if (e instanceof ClusterBackupRecorded r) {
                    latest.add(r);
                }
            });
        }
        Instant now = Instant.now();
        List<FreshnessBoard.Row> rows = FreshnessBoard.rows(windows, latest, now);
        PrintWriter out = spec.commandLine().getOut();
        if (output.json()) {
            output.print(JsonOutput.ClustersOutput.of(rows, now));
        } else if (rows.isEmpty()) {
            out.println("no clusters known: pass --clusters FILE (none has been backed up yet)");
        } else {
            FreshnessBoard.text(rows).forEach(out::println);
        }
        if (html != null) {
            Files.writeString(html, HtmlBoard.render(rows, now), StandardCharsets.UTF_8);
            output.notes().println("wrote " + html.toAbsolutePath());
        }
        out.flush();
        output.notes().flush();
        boolean bad = rows.stream().anyMatch(JsonOutput::overdue);
        return bad ? ExitCodes.FAILED : ExitCodes.OK;
    }
}
