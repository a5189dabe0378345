package io.dtrbackup.cli;

import io.dtrbackup.contract.events.ArtifactKind;
import io.dtrbackup.contract.events.ArtifactPhase;
import io.dtrbackup.contract.events.BackupCompleted;
import io.dtrbackup.contract.events.BackupEvent;
import io.dtrbackup.contract.events.BackupProgress;
import io.dtrbackup.contract.events.ClusterBackupRecorded;
import io.dtrbackup.common.status.ArtifactStatus;
import io.dtrbackup.common.status.BackupOutcome;
import io.dtrbackup.common.status.BackupStatus;
import io.dtrbackup.contract.topics.Topic;
import io.dtrbackup.contract.topics.Topics;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * What the live board shows, folded from two topics: the status topic through {@link WatchModel}
 * (backups in flight, their artifacts' progress, how they ended) and the compacted cluster-state
 * topic into {@link FreshnessBoard} rows. One consumer thread per topic feeds it, the HTTP server
 * reads {@link #snapshot} from its event loop: every method is synchronized, and each change bumps
 * {@link #version} so the server pushes only when something changed.
 *
 * <p>The snapshot is plain data with the texts already rendered (ages, byte counts, outcomes, the
 * palette of {@link HtmlBoard#colour}): the page only draws it, it computes nothing that could
 * disagree with the CLI.
 */
final class BoardState {
    /** The stages an artifact goes through, one progress bar each. */
    static final List<ArtifactPhase> STAGES = List.of(ArtifactPhase.STAGING, ArtifactPhase.ENCRYPTING, ArtifactPhase.VERIFYING);

    /** How a topic feed is doing, as the page's header shows it. */
    enum Feed { CONNECTING, REPLAYING, LIVE, ERROR }

    private final WatchModel watch = new WatchModel(null, Duration.ofSeconds(5));
    private final Map<String, Duration> windows;
    private final Map<String, ClusterBackupRecorded> latest = new LinkedHashMap<>();
    private final Map<String, FeedState> feeds = new LinkedHashMap<>();
    private final int failureCount;
    private final int finishedCount;
    private boolean ready;
    private long version;

    record FeedState(Feed state, String detail, boolean caughtUpOnce) {
    }

    /**
     * @param windows the clusters file's freshness windows (cluster ID -> window), in file order
     * @param failureCount how many of the last failures to show
     * @param finishedCount how many finished backups to show
     */
    BoardState(Map<String, Duration> windows, int failureCount, int finishedCount) {
        this.windows = new LinkedHashMap<>(windows);
        this.failureCount = failureCount;
        this.finishedCount = finishedCount;
        feeds.put(Topics.STATUS.name(), new FeedState(Feed.CONNECTING, null, false));
        feeds.put(Topics.CLUSTER_STATE.name(), new FeedState(Feed.CONNECTING, null, false));
    }

    /** An event read from the status topic. */
    synchronized void status(BackupEvent event) {
        watch.apply(event);
        version++;
    }

    /** An event read from the cluster-state topic: the latest completed backup per cluster. */
    synchronized void clusterState(BackupEvent event) {
        if (event instanceof ClusterBackupRecorded r) {
            ClusterBackupRecorded before = latest.get(r.clusterId());
            if (before == null || !r.completedAt().isBefore(before.completedAt())) {
                latest.put(r.clusterId(), r);
                version++;
            }
        }
    }

    /** A feed's reader changed state; {@code detail} is shown on the page (an error's message, never a secret). */
    synchronized void feed(Topic topic, Feed state, String detail) {
        FeedState before = feeds.get(topic.name());
        boolean caughtUp = before.caughtUpOnce() || state == Feed.LIVE;
        feeds.put(topic.name(), new FeedState(state, detail, caughtUp));
        ready = feeds.values().stream().allMatch(FeedState::caughtUpOnce);
        version++;
    }

    /** True once both topics have been read up to their end at least once. */
    synchronized boolean ready() {
        return ready;
    }

    /** Changes with every applied event or feed change. */
    synchronized long version() {
        return version;
    }

    // ---- the snapshot: what the page draws -------------------------------------------------

    record Snapshot(String generatedAt, boolean ready, Map<String, String> palette, List<Source> sources,
            List<Cluster> clusters, double windowAt, List<Backup> inFlight, List<Backup> finished, List<Failure> failures) {
    }

    record Source(String topic, String state, String detail) {
    }

    /**
     * @param bar the bar's length as a fraction of the whole axis (0..1; the axis runs to
     *     {@link HtmlBoard#AXIS} windows, NEVER is a full grey bar as on the HTML board)
     */
    record Cluster(String clusterId, String status, String colour, double bar, String age, String window,
            String lastBackupId, String lastVerifiedAt, boolean inClustersFile) {
    }

    record Backup(String backupId, String clusterId, String phase, String colour, String startedAt, String endedAt,
            String outcome, List<Artifact> artifacts) {
    }

    record Artifact(String kind, String phase, String detail, List<Stage> stages) {
    }

    /**
     * @param state done, active, pending, failed, skipped, or stopped (the backup ended while it ran)
     * @param percent 0..100, or null when the stage runs and its total is unknown (indeterminate bar)
     */
    record Stage(String stage, String state, Integer percent, String text) {
    }

    record Failure(String backupId, String clusterId, String phase, String failedStage, String reason, String at) {
    }

    synchronized Snapshot snapshot(Instant now) {
        Map<String, String> palette = new LinkedHashMap<>();
        for (FreshnessBoard.Status s : FreshnessBoard.Status.values()) {
            palette.put(s.name().toLowerCase(Locale.ROOT), HtmlBoard.colour(s));
        }
        List<Source> sources = feeds.entrySet().stream()
                .map(e -> new Source(e.getKey(), e.getValue().state().name().toLowerCase(Locale.ROOT), e.getValue().detail()))
                .toList();
        List<Cluster> clusters = new ArrayList<>();
        for (FreshnessBoard.Row r : FreshnessBoard.rows(windows, latest.values(), now)) {
            double bar = r.status() == FreshnessBoard.Status.NEVER ? 1
                    : Math.min(HtmlBoard.AXIS, r.ageFraction()) / HtmlBoard.AXIS;
            clusters.add(new Cluster(r.clusterId(), r.status().name(), HtmlBoard.colour(r.status()), bar,
                    r.age() == null ? "never backed up" : Render.duration(r.age()), Render.duration(r.window()),
                    r.lastBackupId(), r.lastVerifiedAt() == null ? null : Render.DATE_TIME.format(r.lastVerifiedAt()),
                    r.inClustersFile()));
        }
        List<BackupStatus> all = new ArrayList<>(watch.backups());
        List<Backup> inFlight = all.stream().filter(s -> !s.isTerminal())
                .sorted(Comparator.comparing(BackupStatus::firstEventAt).reversed())
                .map(s -> backup(s)).toList();
        List<BackupStatus> ended = all.stream().filter(BackupStatus::isTerminal)
                .sorted(Comparator.comparing((BackupStatus s) -> s.terminalEvent().get().occurredAt()).reversed())
                .toList();
        List<Backup> finished = ended.stream().limit(finishedCount).map(this::backup).toList();
        List<Failure> failures = ended.stream().filter(s -> s.outcome().map(o -> !o.isSuccess()).orElse(false))
                .limit(failureCount).map(BoardState::failure).toList();
        return new Snapshot(Render.DATE_TIME.format(now), ready, palette, sources, clusters, 1 / HtmlBoard.AXIS,
                inFlight, finished, failures);
    }

    private Backup backup(BackupStatus s) {
        List<Artifact> artifacts = new ArrayList<>();
        List<ArtifactKind> kinds = new ArrayList<>(s.expectedArtifacts().orElse(List.of()));
        s.artifacts().keySet().stream().filter(k -> !kinds.contains(k)).forEach(kinds::add);
        for (ArtifactKind kind : kinds) {
            ArtifactStatus a = s.artifact(kind).orElse(null);
            artifacts.add(a == null ? pending(kind) : artifact(s, a));
        }
        String ended = s.terminalEvent().map(e -> Render.DATE_TIME.format(e.occurredAt())).orElse(null);
        return new Backup(s.backupId(), s.clusterId(), s.phase().name(), phaseColour(s),
                s.firstEventAt() == null ? null : Render.DATE_TIME.format(s.firstEventAt()), ended,
                s.isTerminal() ? outcome(s) : null, artifacts);
    }

    private static String outcome(BackupStatus s) {
        if (s.terminalEvent().orElse(null) instanceof BackupCompleted c) {
            return "COMPLETED in " + Render.duration(Duration.ofMillis(c.durationMs())) + " · manifest " + c.manifestKey();
        }
        return Render.outcome(s);
    }

    /** Green when completed, amber when partially failed, red when failed or rejected, grey while running. */
    private static String phaseColour(BackupStatus s) {
        BackupOutcome o = s.isTerminal() ? s.outcome().orElse(null) : null;
        if (o == null) {
            return HtmlBoard.colour(FreshnessBoard.Status.NEVER);
        }
        return switch (o.phase()) {
            case COMPLETED -> HtmlBoard.colour(FreshnessBoard.Status.FRESH);
            case PARTIALLY_FAILED -> HtmlBoard.colour(FreshnessBoard.Status.AGING);
            default -> HtmlBoard.colour(FreshnessBoard.Status.OVERDUE);
        };
    }

    private static Artifact pending(ArtifactKind kind) {
        return new Artifact(kind.id(), ArtifactPhase.PENDING.name(), null,
                STAGES.stream().map(st -> new Stage(st.name().toLowerCase(Locale.ROOT), "pending", 0, "")).toList());
    }

    private Artifact artifact(BackupStatus s, ArtifactStatus a) {
        // Which stage the artifact is in (or failed in): index into STAGES; terminal VERIFIED is past the end.
        int current = switch (a.phase()) {
            case PENDING, STAGING -> 0;
            case STAGED, ENCRYPTING -> 1;
            case ENCRYPTED, VERIFYING -> 2;
            case VERIFIED -> STAGES.size();
            case FAILED -> switch (a.failed().phase()) {
                case ENCRYPTING, ENCRYPTED -> 1;
                case VERIFYING, VERIFIED -> 2;
                default -> 0;
            };
            case SKIPPED -> -1;
        };
        BackupProgress last = watch.lastProgress(s.backupId(), a.kind()).orElse(null);
        List<Stage> stages = new ArrayList<>();
        for (int i = 0; i < STAGES.size(); i++) {
            ArtifactPhase stage = STAGES.get(i);
            String name = stage.name().toLowerCase(Locale.ROOT);
            if (current < 0) {
                stages.add(new Stage(name, "skipped", 0, "skipped"));
            } else if (i < current) {
                stages.add(new Stage(name, "done", 100, "done"));
            } else if (i > current) {
                stages.add(new Stage(name, "pending", 0, ""));
            } else if (a.phase() == ArtifactPhase.FAILED) {
                stages.add(new Stage(name, "failed", 100, "failed"));
            } else if (a.phase() == stage) {
                Stage running = running(name, a.lastProgressBytes(), last != null && last.stage() == stage ? last : null);
                // A backup that ended while this stage ran: the bar stops where it was.
                stages.add(s.isTerminal() ? new Stage(name, "stopped", running.percent() == null ? 0 : running.percent(),
                        "stopped: " + running.text()) : running);
            } else {
                stages.add(new Stage(name, "pending", 0, "waiting")); // STAGED/ENCRYPTED: the next service has not started
            }
        }
        String detail = a.failed() != null ? a.failed().reason() : a.skipped() != null ? a.skipped().reason() : null;
        return new Artifact(a.kind().id(), a.phase().name(), detail, stages);
    }

    private static Stage running(String name, long bytesDone, BackupProgress last) {
        Long total = last == null ? null : last.bytesTotal();
        if (bytesDone < 0) {
            return new Stage(name, "active", total == null ? null : 0, "started");
        }
        String rate = last == null ? "" : "  " + Render.rate(last.bytesPerSecond());
        if (total == null || total <= 0) {
            return new Stage(name, "active", null, Render.bytes(bytesDone) + rate);
        }
        int percent = (int) Math.min(100, Math.floor(bytesDone * 100.0 / total));
        return new Stage(name, "active", percent,
                percent + " %  " + Render.bytes(bytesDone) + " / " + Render.bytes(total) + rate);
    }

    private static Failure failure(BackupStatus s) {
        BackupOutcome o = s.outcome().orElseThrow();
        return new Failure(s.backupId(), s.clusterId(), o.phase().name(), o.failedStage(), o.reason(),
                Render.DATE_TIME.format(s.terminalEvent().get().occurredAt()));
    }
}
