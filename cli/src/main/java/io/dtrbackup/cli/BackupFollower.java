package io.dtrbackup.cli;

import io.dtrbackup.contract.events.BackupEvent;
import io.dtrbackup.contract.events.BackupPhase;
import io.dtrbackup.common.kafka.TopicReader;
import io.dtrbackup.common.status.BackupStatus;
import java.time.Duration;
import java.util.function.Supplier;

/**
 * Follows one backup on the status topic until it ends: folds its events with the shared
 * {@link BackupStatus} (the same fold verify-service decides completion with), draws them, and
 * maps the end to an exit code. The reader must have been opened BEFORE the request was
 * published, so no event of the backup is missed.
 */
final class BackupFollower {
    /** How a follow ended. */
    record Result(BackupStatus status, boolean timedOut) {
        int exitCode() {
            return timedOut ? ExitCodes.TIMEOUT : exitCodeOf(status.phase());
        }
    }

    private final Supplier<java.util.List<BackupEvent>> source;
    private final String backupId;
    private final ProgressView view;

    BackupFollower(Supplier<java.util.List<BackupEvent>> source, String backupId, ProgressView view) {
        this.source = source;
        this.backupId = backupId;
        this.view = view;
    }

    static BackupFollower on(TopicReader reader, String backupId, ProgressView view) {
        return new BackupFollower(() -> reader.pollEvents(Duration.ofMillis(250)), backupId, view);
    }

    Result follow(Duration timeout) {
        BackupStatus status = new BackupStatus(backupId);
        long deadline = System.nanoTime() + timeout.toNanos();
        try {
            while (!status.isTerminal()) {
                if (System.nanoTime() > deadline) {
                    return new Result(status, true);
                }
                for (BackupEvent e : source.get()) {
                    if (backupId.equals(e.backupId()) && status.apply(e)) {
                        view.update(status, e);
                    }
                }
            }
            return new Result(status, false);
        } finally {
            view.close();
        }
    }

    static int exitCodeOf(BackupPhase phase) {
        return switch (phase) {
            case COMPLETED -> ExitCodes.OK;
            case PARTIALLY_FAILED -> ExitCodes.PARTIALLY_FAILED;
            case FAILED, REJECTED -> ExitCodes.FAILED;
            default -> ExitCodes.TIMEOUT;
        };
    }
}
