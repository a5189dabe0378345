package io.dtrbackup.cli;

import io.dtrbackup.contract.events.ArtifactKind;
import io.dtrbackup.contract.events.ArtifactPhase;
import io.dtrbackup.contract.events.BackupEvent;
import io.dtrbackup.contract.events.BackupPhase;
import io.dtrbackup.contract.events.BackupProgress;
import io.dtrbackup.common.status.ArtifactStatus;
import io.dtrbackup.common.status.BackupStatus;
import java.io.PrintWriter;
import java.time.Duration;
import java.time.Instant;
import java.util.EnumMap;
import java.util.Map;

/**
 * Line output for logs and pipes: a line when the backup or an artifact changes phase, and a
 * progress line per artifact at most every {@code progressEvery}.
 */
final class PlainProgressView implements ProgressView {
    private final PrintWriter out;
    private final Duration progressEvery;
    private BackupPhase lastPhase;
    private final Map<ArtifactKind, ArtifactPhase> lastArtifactPhase = new EnumMap<>(ArtifactKind.class);
    private final Map<ArtifactKind, Instant> lastProgressLine = new EnumMap<>(ArtifactKind.class);

    PlainProgressView(PrintWriter out, Duration progressEvery) {
        this.out = out;
        this.progressEvery = progressEvery;
    }

    @Override
    public void update(BackupStatus status, BackupEvent event) {
        Instant at = event.occurredAt();
        if (status.phase() != lastPhase) {
            lastPhase = status.phase();
            out.println(Render.TIME.format(at) + " " + status.backupId() + " " + status.phase()
                    + status.discovered().map(d -> " (replica " + d.replicaId() + ", DTR " + d.dtrVersion() + ")")
                            .filter(x -> lastPhase == BackupPhase.BACKING_UP).orElse(""));
        }
        for (ArtifactStatus a : status.artifacts().values()) {
            ArtifactPhase before = lastArtifactPhase.put(a.kind(), a.phase());
            if (before != a.phase()) {
                double rate = event instanceof BackupProgress p && p.kind() == a.kind() ? p.bytesPerSecond() : -1;
                out.println(Render.TIME.format(at) + "   " + Render.artifact(a, rate));
                lastProgressLine.put(a.kind(), at);
            }
        }
        if (event instanceof BackupProgress p) {
            Instant last = lastProgressLine.get(p.kind());
            if (last == null || !at.isBefore(last.plus(progressEvery))) {
                status.artifact(p.kind()).ifPresent(a -> out.println(Render.TIME.format(at) + "   "
                        + Render.artifact(a, p.bytesPerSecond())));
                lastProgressLine.put(p.kind(), at);
            }
        }
        out.flush();
    }

    @Override
    public void close() {
        out.flush();
    }
}
