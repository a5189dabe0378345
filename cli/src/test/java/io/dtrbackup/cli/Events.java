package io.dtrbackup.cli;

import io.dtrbackup.contract.events.ArtifactFailed;
import io.dtrbackup.contract.events.ArtifactKind;
import io.dtrbackup.contract.events.ArtifactPhase;
import io.dtrbackup.contract.events.ArtifactVerified;
import io.dtrbackup.contract.events.BackupCompleted;
import io.dtrbackup.contract.events.BackupEvent;
import io.dtrbackup.contract.events.BackupFailed;
import io.dtrbackup.contract.events.BackupOptions;
import io.dtrbackup.contract.events.BackupPhase;
import io.dtrbackup.contract.events.BackupProgress;
import io.dtrbackup.contract.events.BackupRejected;
import io.dtrbackup.contract.events.ReplicaDiscovered;
import io.dtrbackup.contract.events.StorageKind;
import io.dtrbackup.contract.events.Trigger;
import java.time.Instant;
import java.util.List;

/** A backup's status-topic story, event by event, for the CLI's unit tests. */
final class Events {
    static final int V = BackupEvent.CURRENT_SCHEMA_VERSION;
    static final String BACKUP = "bk-20261125T020000Z-0badcafe";
    static final String CLUSTER = "prod-eu-1";
    static final Instant T0 = Instant.parse("2026-11-25T02:00:00Z");
    static final String SHA = "a".repeat(64);

    private Events() {
    }

    static Instant at(int seconds) {
        return T0.plusSeconds(seconds);
    }

    static ReplicaDiscovered discovered(int s) {
        return new ReplicaDiscovered(V, "d", BACKUP, CLUSTER, at(s), Trigger.MANUAL, BackupOptions.DEFAULTS,
                "a1640e1c15b6", null, "2.9.4", StorageKind.FILESYSTEM, "dtr-registry-a1640e1c15b6", "sticky",
                List.of(ArtifactKind.METADATA, ArtifactKind.IMAGES), "20261125-02_00_00", at(0));
    }

    static BackupProgress progress(int s, ArtifactKind kind, ArtifactPhase stage, long bytes, double rate) {
        return new BackupProgress(V, "p" + s + kind + stage, BACKUP, CLUSTER, at(s), kind, stage, bytes, null, null, rate);
    }

    static ArtifactVerified verified(int s, ArtifactKind kind) {
        return new ArtifactVerified(V, "v" + kind, BACKUP, CLUSTER, at(s), kind, CLUSTER + "/" + BACKUP + "/x.tar.gpg",
                1024, SHA, 3, null, false, 10);
    }

    static ArtifactFailed failed(int s, ArtifactKind kind, String reason) {
        return new ArtifactFailed(V, "f" + kind, BACKUP, CLUSTER, at(s), kind, ArtifactPhase.STAGING, reason);
    }

    static BackupCompleted completed(int s) {
        return new BackupCompleted(V, "c", BACKUP, CLUSTER, at(s), CLUSTER + "/" + BACKUP + "/manifest.json",
                "a1640e1c15b6", "2.9.4", 60_000, List.of(CLUSTER + "/" + BACKUP + "/a.tar.gpg"));
    }

    static BackupFailed backupFailed(int s, BackupPhase phase, String stage, String reason) {
        return new BackupFailed(V, "bf", BACKUP, CLUSTER, at(s), phase, stage, reason);
    }

    static BackupRejected rejected(int s) {
        return new BackupRejected(V, "r", BACKUP, CLUSTER, at(s), "backup bk-1 of prod-eu-1 is still running", "bk-1");
    }
}
