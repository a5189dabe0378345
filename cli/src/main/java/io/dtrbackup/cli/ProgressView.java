package io.dtrbackup.cli;

import io.dtrbackup.contract.events.BackupEvent;
import io.dtrbackup.common.status.BackupStatus;

/** Draws one backup as its status events arrive: bars on a terminal, lines otherwise. */
interface ProgressView extends AutoCloseable {
    /** Called after each event was folded into {@code status}. */
    void update(BackupStatus status, BackupEvent event);

    /** Called once the backup ended (or waiting gave up); the view prints its last state. */
    @Override
    void close();
}
