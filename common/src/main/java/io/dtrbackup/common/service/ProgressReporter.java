package io.dtrbackup.common.service;

import io.dtrbackup.contract.events.ArtifactKind;
import io.dtrbackup.contract.events.ArtifactPhase;
import io.dtrbackup.contract.events.BackupEvent;
import io.dtrbackup.contract.events.BackupProgress;
import io.dtrbackup.contract.events.EventIds;
import io.dtrbackup.common.kafka.EventPublisher;
import io.dtrbackup.contract.topics.Topics;
import io.vertx.core.Context;
import java.time.Duration;
import java.time.Instant;
import java.util.function.LongConsumer;

/**
 * Publishes BackupProgress for one artifact at a bounded rate. Called from the worker thread
 * that moves the bytes; the publishing itself hops onto the Vert.x context. Progress is best
 * effort: a lost progress event is fine, a slowed stream is not.
 */
public final class ProgressReporter implements LongConsumer {
    private final Context context;
    private final EventPublisher publisher;
    private final String backupId;
    private final String clusterId;
    private final ArtifactKind kind;
    private final ArtifactPhase stage;
    private final long intervalNanos;
    private final long startNanos = System.nanoTime();
    private volatile Long bytesTotal;
    private volatile long files = -1;
    private long lastNanos = startNanos;

    public ProgressReporter(Context context, EventPublisher publisher, BackupEvent source, ArtifactKind kind,
            ArtifactPhase stage, Duration interval) {
        this(context, publisher, source.backupId(), source.clusterId(), kind, stage, interval);
    }

    public ProgressReporter(Context context, EventPublisher publisher, String backupId, String clusterId,
            ArtifactKind kind, ArtifactPhase stage, Duration interval) {
        this.context = context;
        this.publisher = publisher;
        this.backupId = backupId;
        this.clusterId = clusterId;
        this.kind = kind;
        this.stage = stage;
        this.intervalNanos = interval.toNanos();
    }

    public void bytesTotal(long total) {
        this.bytesTotal = total;
    }

    public void files(long count) {
        this.files = count;
    }

    /** Reports {@code bytesDone}; publishes only when the interval has passed. */
    @Override
    public void accept(long bytesDone) {
        long now = System.nanoTime();
        if (now - lastNanos < intervalNanos) {
            return;
        }
        lastNanos = now;
        publish(bytesDone, now);
    }

    /** Publishes the final figure regardless of the interval. */
    public void finish(long bytesDone) {
        publish(bytesDone, System.nanoTime());
    }

    private void publish(long bytesDone, long now) {
        double seconds = Math.max((now - startNanos) / 1e9, 1e-3);
        BackupProgress event = new BackupProgress(BackupEvent.CURRENT_SCHEMA_VERSION, EventIds.random(), backupId,
                clusterId, Instant.now(), kind, stage, bytesDone, bytesTotal, files < 0 ? null : files,
                bytesDone / seconds);
        context.runOnContext(v -> publisher.publish(Topics.STATUS, event));
    }
}
