package io.dtrbackup.cli;

import io.dtrbackup.contract.events.ArtifactKind;
import io.dtrbackup.contract.events.ArtifactPhase;
import io.dtrbackup.contract.events.BackupEvent;
import io.dtrbackup.contract.events.BackupPhase;
import io.dtrbackup.contract.events.BackupProgress;
import io.dtrbackup.common.status.ArtifactStatus;
import io.dtrbackup.common.status.BackupStatus;
import java.io.PrintStream;
import java.util.EnumMap;
import java.util.Map;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;

/**
 * Live bars on a terminal (me.tongfei:progressbar): one bar per artifact and stage (staging,
 * encrypting, verifying), in MiB, with the rate the stage reports; phase changes print above.
 */
final class BarProgressView implements ProgressView {
    private final PrintStream out;
    private final Map<ArtifactKind, ProgressBar> bars = new EnumMap<>(ArtifactKind.class);
    private final Map<ArtifactKind, ArtifactPhase> barStage = new EnumMap<>(ArtifactKind.class);
    private final Map<ArtifactKind, ArtifactPhase> lastPhase = new EnumMap<>(ArtifactKind.class);
    private BackupPhase lastBackupPhase;

    BarProgressView(PrintStream out) {
        this.out = out;
    }

    @Override
    public void update(BackupStatus status, BackupEvent event) {
        if (status.phase() != lastBackupPhase) {
            lastBackupPhase = status.phase();
            if (!status.phase().isTerminal()) {
                println(status.backupId() + " " + status.phase()
                        + status.discovered().filter(d -> lastBackupPhase == BackupPhase.BACKING_UP)
                                .map(d -> ": replica " + d.replicaId() + ", DTR " + d.dtrVersion() + ", " + d.storageKind())
                                .orElse(""));
            }
        }
        if (event instanceof BackupProgress p) {
            ProgressBar bar = bar(p.kind(), p.stage(), p.bytesTotal());
            if (p.bytesTotal() != null && p.bytesTotal() > 0) {
                bar.maxHint(p.bytesTotal());
            }
            bar.stepTo(p.bytesDone());
            bar.setExtraMessage(" " + Render.rate(p.bytesPerSecond()));
        }
        for (ArtifactStatus a : status.artifacts().values()) {
            ArtifactPhase before = lastPhase.put(a.kind(), a.phase());
            if (before != a.phase() && (a.phase().ordinal() > ArtifactPhase.VERIFYING.ordinal()
                    || a.phase() == ArtifactPhase.STAGED || a.phase() == ArtifactPhase.ENCRYPTED)) {
                closeBar(a.kind());
                println("  " + Render.artifact(a, -1));
            }
        }
    }

    private ProgressBar bar(ArtifactKind kind, ArtifactPhase stage, Long total) {
        ProgressBar bar = bars.get(kind);
        if (bar != null && barStage.get(kind) == stage) {
            return bar;
        }
        closeBar(kind);
        bar = new ProgressBarBuilder()
                .setTaskName(String.format("%-8s %-10s", kind.id(), stage.name().toLowerCase(java.util.Locale.ROOT)))
                .setInitialMax(total == null ? -1 : total)
                .setUnit(" MiB", 1024 * 1024)
                .setStyle(ProgressBarStyle.COLORFUL_UNICODE_BLOCK)
                .setUpdateIntervalMillis(200)
                .setMaxRenderedLength(100)
                .hideEta()
                .build();
        bars.put(kind, bar);
        barStage.put(kind, stage);
        return bar;
    }

    private void closeBar(ArtifactKind kind) {
        ProgressBar bar = bars.remove(kind);
        barStage.remove(kind);
        if (bar != null) {
            bar.close();
        }
    }

    private void println(String line) {
        // Bars redraw in place; a line printed while one is live would be overdrawn, so close them first.
        if (!bars.isEmpty()) {
            for (ArtifactKind k : ArtifactKind.values()) {
                closeBar(k);
            }
        }
        out.println(line);
        out.flush();
    }

    @Override
    public void close() {
        for (ArtifactKind k : ArtifactKind.values()) {
            closeBar(k);
        }
        out.flush();
    }
}
