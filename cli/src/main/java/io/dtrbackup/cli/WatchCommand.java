package io.dtrbackup.cli;

import io.dtrbackup.contract.events.BackupEvent;
import io.dtrbackup.common.kafka.TopicReader;
import io.dtrbackup.contract.topics.Topics;
import java.io.PrintWriter;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

@Command(name = "watch", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Live view of every backup in flight (phase, bytes, rate) and of overdue clusters, from "
                + "the dtr-backup.status topic. Ctrl-C to leave.",
            "On a terminal it redraws a table every second; otherwise (or with --plain) it prints one line per change.",
            "With --once: what the topic says now, then exit (--output json for scripts)."},
        footer = {"", "Example:", "  ./dtr-backup watch --cluster prod-eu-1",
            "  ./dtr-backup watch --once --since 1h --output json | jq '.inFlight | length'"})
final class WatchCommand implements Callable<Integer> {
    @Option(names = "--cluster", paramLabel = "ID", description = "only this cluster")
    String cluster;

    @Option(names = "--since", paramLabel = "DURATION", defaultValue = "6h",
            description = "replay the status topic from this long ago, so backups already running show up "
                    + "(default ${DEFAULT-VALUE})")
    String since;

    @Option(names = "--once", description = "print what the topic says now and exit (no live view)")
    boolean once;

    @Option(names = "--plain", description = "line output even on a terminal")
    boolean plain;

    @Mixin
    OutputOptions output;

    @Mixin
    ConnectionOptions connection;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        if (output.json() && !once) {
            throw new ParameterException(spec.commandLine(), "--output json needs --once (the live view is for people)");
        }
        PrintWriter out = spec.commandLine().getOut();
        Duration lookback = BackupCommand.parseDuration(since, "--since");
        WatchModel model = new WatchModel(cluster, Duration.ofSeconds(5));
        boolean interactive = Terminal.interactive(plain) && !once;
        try (TopicReader reader = KafkaAccess.openReader(connection.resolve().kafka(), Topics.STATUS,
                TopicReader.since(Instant.now().minus(lookback)))) {
            if (once) {
                KafkaAccess.readToEnd(reader, Duration.ofMinutes(2), model::apply);
                Instant now = Instant.now();
                if (output.json()) {
                    output.print(JsonOutput.WatchSnapshot.of(model, now, lookback));
                    return ExitCodes.OK;
                }
                model.snapshot(now, lookback).forEach(out::println);
                out.flush();
                return ExitCodes.OK;
            }
            long nextDraw = 0;
            while (!Thread.currentThread().isInterrupted()) {
                for (BackupEvent e : reader.pollEvents(Duration.ofMillis(500))) {
                    String line = model.apply(e);
                    if (!interactive && line != null) {
                        out.println(line);
                    }
                }
                if (interactive && System.nanoTime() >= nextDraw) {
                    // Home + clear screen, then the table: a full redraw keeps it simple and correct.
                    out.print("\033[H\033[2J");
                    model.snapshot(Instant.now(), Duration.ofHours(1)).forEach(out::println);
                    nextDraw = System.nanoTime() + 1_000_000_000L;
                }
                out.flush();
            }
        }
        return ExitCodes.OK;
    }
}
