package io.dtrbackup.cli;

import io.dtrbackup.contract.events.ArtifactKind;
import io.dtrbackup.contract.events.BackupEvent;
import io.dtrbackup.contract.events.BackupFailed;
import io.dtrbackup.contract.events.BackupRejected;
import io.dtrbackup.common.status.ArtifactStatus;
import io.dtrbackup.common.status.BackupOutcome;
import io.dtrbackup.common.status.BackupStatus;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.Locale;
import java.util.StringJoiner;

/** Text the CLI prints: pure functions, so plain (non-terminal) output is testable line by line. */
final class Render {
    static final DateTimeFormatter TIME = DateTimeFormatter.ofPattern("HH:mm:ss'Z'").withZone(ZoneOffset.UTC);
    static final DateTimeFormatter DATE_TIME = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss'Z'")
            .withZone(ZoneOffset.UTC);

    private Render() {
    }

    /** 1536 -> "1.5 KiB"; binary units, one decimal. */
    static String bytes(long n) {
        if (n < 0) {
            return "?";
        }
        if (n < 1024) {
            return n + " B";
        }
        String[] units = {"KiB", "MiB", "GiB", "TiB", "PiB"};
        double v = n;
        int u = -1;
        while (v >= 1024 && u < units.length - 1) {
            v /= 1024;
            u++;
        }
        return String.format(Locale.ROOT, "%.1f %s", v, units[u]);
    }

    /** Bytes per second as MB/s (decimal, as docs/benchmarks.md quotes speeds). */
    static String rate(double bytesPerSecond) {
        if (bytesPerSecond <= 0 || Double.isNaN(bytesPerSecond)) {
            return "-";
        }
        return String.format(Locale.ROOT, "%.1f MB/s", bytesPerSecond / 1_000_000);
    }

    /** 3725 s -> "1h02m", 95 s -> "1m35s", 4 s -> "4s", 2 days -> "2d03h". */
    static String duration(Duration d) {
        long s = Math.max(0, d.getSeconds());
        if (s < 60) {
            return s + "s";
        }
        if (s < 3600) {
            return String.format(Locale.ROOT, "%dm%02ds", s / 60, s % 60);
        }
        if (s < 86_400) {
            return String.format(Locale.ROOT, "%dh%02dm", s / 3600, (s % 3600) / 60);
        }
        return String.format(Locale.ROOT, "%dd%02dh", s / 86_400, (s % 86_400) / 3600);
    }

    /** One artifact on one line: {@code metadata  STAGING  12.3 MiB  45.6 MB/s}. */
    static String artifact(ArtifactStatus a, double rate) {
        StringBuilder line = new StringBuilder(String.format(Locale.ROOT, "%-8s %-10s", a.kind().id(), a.phase()));
        if (a.lastProgressBytes() >= 0) {
            line.append(' ').append(bytes(a.lastProgressBytes())).append(' ').append(rate(rate));
        } else if (a.verified() != null) {
            line.append(' ').append(bytes(a.verified().plaintextSize())).append(" verified");
        } else if (a.encrypted() != null) {
            line.append(' ').append(bytes(a.encrypted().ciphertextSize())).append(" encrypted");
        } else if (a.staged() != null) {
            line.append(' ').append(bytes(a.staged().sizeBytes())).append(" staged");
        }
        if (a.failed() != null) {
            line.append(" - ").append(a.failed().reason());
        } else if (a.skipped() != null) {
            line.append(" - ").append(a.skipped().reason());
        }
        return line.toString();
    }

    /** One backup on one line, for plain output: {@code 12:00:01Z bk-… prod-1 BACKING_UP metadata STAGED, images STAGING 80.0 MiB}. */
    static String backupLine(Instant now, BackupStatus s) {
        StringJoiner artifacts = new StringJoiner(", ");
        s.artifacts().values().forEach(a -> artifacts.add(a.kind().id() + " " + a.phase()
                + (a.lastProgressBytes() >= 0 ? " " + bytes(a.lastProgressBytes()) : "")));
        return TIME.format(now) + " " + s.backupId() + " " + (s.clusterId() == null ? "-" : s.clusterId()) + " "
                + s.phase() + (artifacts.length() == 0 ? "" : " " + artifacts);
    }

    /** What a finished backup says: the phase, and for failures the stage and reason. */
    static String outcome(BackupStatus s) {
        BackupEvent terminal = s.terminalEvent().orElse(null);
        if (terminal instanceof BackupFailed f) {
            return f.phase() + " at " + f.failedStage() + ": " + f.reason();
        }
        if (terminal instanceof BackupRejected r) {
            return "REJECTED: " + r.reason() + (r.runningBackupId() == null ? "" : " (running: " + r.runningBackupId() + ")");
        }
        BackupOutcome o = s.outcome().orElse(null);
        if (o == null) {
            return s.phase().toString();
        }
        return o.isSuccess() ? "COMPLETED" : o.phase() + " at " + o.failedStage() + ": " + o.reason();
    }

    static String kind(ArtifactKind kind) {
        return kind.id();
    }
}
