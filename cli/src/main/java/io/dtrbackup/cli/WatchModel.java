package io.dtrbackup.cli;

import io.dtrbackup.contract.events.ArtifactKind;
import io.dtrbackup.contract.events.BackupEvent;
import io.dtrbackup.contract.events.BackupOverdue;
import io.dtrbackup.contract.events.BackupProgress;
import io.dtrbackup.common.status.BackupStatus;
import io.dtrbackup.common.status.StatusBoard;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * What {@code watch} shows, folded from the status topic: every backup (with the shared
 * {@link StatusBoard}), the latest rate per artifact, and overdue clusters. Pure; the command
 * feeds it events and prints either the change lines (plain) or the snapshot (terminal).
 */
final class WatchModel {
    private final String clusterFilter;
    private final StatusBoard board = new StatusBoard();
    /** The last BackupProgress per backup and artifact: its rate, and the stage's total when known. */
    private final Map<String, BackupProgress> progress = new HashMap<>();
    private final Map<String, String> lastLine = new HashMap<>();
    private final Map<String, Instant> lastProgressLine = new HashMap<>();
    private final Map<String, BackupOverdue> overdue = new TreeMap<>();
    private final Duration progressEvery;

    WatchModel(String clusterFilter, Duration progressEvery) {
        this.clusterFilter = clusterFilter;
        this.progressEvery = progressEvery;
    }

    /** Folds the event; returns the line plain output prints for it, or null when nothing changed worth a line. */
    String apply(BackupEvent event) {
        if (clusterFilter != null && !clusterFilter.equals(event.clusterId())) {
            return null;
        }
        if (event instanceof BackupOverdue o) {
            overdue.put(o.clusterId(), o);
            return Render.TIME.format(o.occurredAt()) + " OVERDUE " + o.clusterId() + ": " + overdueText(o, o.occurredAt());
        }
        var status = board.apply(event).orElse(null);
        if (status == null) {
            return null;
        }
        if (status.isTerminal() && status.phase() == io.dtrbackup.contract.events.BackupPhase.COMPLETED) {
            overdue.remove(status.clusterId());
        }
        if (event instanceof BackupProgress p) {
            progress.put(status.backupId() + "/" + p.kind(), p);
        }
        String line = Render.backupLine(event.occurredAt(), status);
        String withoutTime = line.substring(line.indexOf(' ') + 1);
        String key = status.backupId();
        boolean changed = !withoutTime.replaceAll(" [0-9.]+ [KMGTP]?i?B", "").equals(
                lastLine.getOrDefault(key, "").replaceAll(" [0-9.]+ [KMGTP]?i?B", ""));
        Instant lastProgress = lastProgressLine.get(key);
        boolean progressDue = event instanceof BackupProgress
                && (lastProgress == null || !event.occurredAt().isBefore(lastProgress.plus(progressEvery)));
        if (!changed && !progressDue) {
            return null;
        }
        lastLine.put(key, withoutTime);
        lastProgressLine.put(key, event.occurredAt());
        if (status.isTerminal()) {
            return line.substring(0, line.indexOf(' ')) + " " + status.backupId() + " " + status.clusterId() + " "
                    + Render.outcome(status);
        }
        return line;
    }

    /** The terminal view: backups in flight, those finished within {@code recent}, overdue clusters. */
    List<String> snapshot(Instant now, Duration recent) {
        List<String> lines = new ArrayList<>();
        lines.add("dtr-backup watch  " + Render.DATE_TIME.format(now) + (clusterFilter == null ? "" : "  cluster " + clusterFilter));
        lines.add("");
        List<BackupStatus> inFlight = inFlight();
        lines.add("IN FLIGHT (" + inFlight.size() + ")");
        for (BackupStatus s : inFlight) {
            lines.add(String.format(Locale.ROOT, "  %-32s %-16s %-10s", s.backupId(), s.clusterId(), s.phase()));
            s.artifacts().values().forEach(a -> lines.add("      " + Render.artifact(a,
                    a.lastProgressBytes() >= 0 ? rate(s.backupId(), a.kind()) : -1)));
        }
        List<BackupStatus> finished = finishedSince(now.minus(recent));
        lines.add("");
        lines.add("FINISHED in the last " + Render.duration(recent) + " (" + finished.size() + ")");
        for (BackupStatus s : finished) {
            lines.add(String.format(Locale.ROOT, "  %-32s %-16s %s", s.backupId(), s.clusterId(), Render.outcome(s)));
        }
        lines.add("");
        lines.add("OVERDUE CLUSTERS (" + overdue.size() + ")");
        overdue.values().forEach(o -> lines.add(String.format(Locale.ROOT, "  %-16s %s", o.clusterId(), overdueText(o, now))));
        return lines;
    }

    static String overdueText(BackupOverdue o, Instant now) {
        if (o.lastVerifiedAt() == null) {
            return "no verified backup yet (freshness window " + Render.duration(o.freshnessWindow()) + ")";
        }
        return "last verified backup " + o.lastBackupId() + " is " + Render.duration(Duration.between(o.lastVerifiedAt(), now))
                + " old (window " + Render.duration(o.freshnessWindow()) + ")";
    }

    /** The --cluster filter, or null. */
    String clusterFilter() {
        return clusterFilter;
    }

    /** Backups not ended yet, by backup ID. */
    List<BackupStatus> inFlight() {
        return board.all().stream().filter(s -> !s.isTerminal())
                .sorted(Comparator.comparing(BackupStatus::backupId)).toList();
    }

    /** Backups whose terminal event happened after {@code after}, newest backup ID first. */
    List<BackupStatus> finishedSince(Instant after) {
        return board.all().stream().filter(BackupStatus::isTerminal)
                .filter(s -> s.terminalEvent().map(e -> e.occurredAt().isAfter(after)).orElse(false))
                .sorted(Comparator.comparing(BackupStatus::backupId).reversed()).toList();
    }

    /** Clusters reported overdue and not backed up since, by cluster ID. */
    List<BackupOverdue> overdueClusters() {
        return List.copyOf(overdue.values());
    }

    double rate(String backupId, ArtifactKind kind) {
        BackupProgress p = progress.get(backupId + "/" + kind);
        return p == null ? -1.0 : p.bytesPerSecond();
    }

    /** The last progress event of that artifact (any stage), for its rate and the stage's byte total. */
    Optional<BackupProgress> lastProgress(String backupId, ArtifactKind kind) {
        return Optional.ofNullable(progress.get(backupId + "/" + kind));
    }

    /** Every backup folded so far, in the order first seen. */
    Collection<BackupStatus> backups() {
        return board.all();
    }

    /** Clusters the last BackupOverdue said are overdue and no completed backup has cleared since. */
    Collection<BackupOverdue> overdue() {
        return Collections.unmodifiableCollection(overdue.values());
    }
}
