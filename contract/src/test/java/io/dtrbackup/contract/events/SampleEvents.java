package io.dtrbackup.contract.events;

import java.time.Duration;
import java.time.Instant;
import java.util.List;

/** One valid instance of every event type, for codec and topic tests (and other modules' unit tests). */
public final class SampleEvents {
    public static final String BACKUP = "bk-20261125T020000Z-0badcafe";
    public static final String CLUSTER = "prod-eu-1";
    public static final Instant AT = Instant.parse("2026-11-25T02:00:00Z");
    public static final String SHA = "a".repeat(64);
    public static final String SHA2 = "b".repeat(64);
    public static final EncryptionParameters ENCRYPTION = new EncryptionParameters(
            "OpenPGP v4 SKESK + SEIPD v1 (MDC)", "AES-256", "iterated+salted", "SHA-256", 255, true, "none");

    private SampleEvents() {
    }

    public static List<BackupEvent> all() {
        int v = BackupEvent.CURRENT_SCHEMA_VERSION;
        BackupOptions options = new BackupOptions("a1640e1c15b6", true, false, true, false, false, false);
        return List.of(
                new BackupRequested(v, "e1", BACKUP, CLUSTER, AT, Trigger.MANUAL, "alice", options),
                new ReplicaDiscovered(v, "e2", BACKUP, CLUSTER, AT, Trigger.SCHEDULE, options, "a1640e1c15b6", "node-1",
                        "2.9.4", StorageKind.FILESYSTEM, "dtr-registry-a1640e1c15b6", "named in the request",
                        List.of(ArtifactKind.METADATA, ArtifactKind.IMAGES), "20261125-02_00_00", AT),
                new ArtifactStaged(v, "e3", BACKUP, CLUSTER, AT, ArtifactKind.METADATA,
                        "dtr-metadata-2.9.4-backup-20261125-02_00_00.tar", "prod-eu-1/x/metadata.tar", 1024, SHA, 12,
                        SHA2, "2.9.4", "dtr-backup-v2.9.4-online/", null, 1500),
                new ArtifactSkipped(v, "e4", BACKUP, CLUSTER, AT, ArtifactKind.IMAGES, "images live in S3",
                        "back up the bucket with that system's own tools"),
                new ArtifactEncrypted(v, "e5", BACKUP, CLUSTER, AT, ArtifactKind.IMAGES,
                        "dtr-image-backup-20261125-02_00_00.tar", "k.tar.gpg", "key-2026", 2048, SHA, 2100, SHA2, 40,
                        SHA, 7L, "2.9.4", null, ENCRYPTION, 1, 900),
                new ArtifactVerified(v, "e6", BACKUP, CLUSTER, AT, ArtifactKind.IMAGES, "k.tar.gpg", 2048, SHA, 40, 7L,
                        false, 300),
                new ArtifactFailed(v, "e7", BACKUP, CLUSTER, AT, ArtifactKind.METADATA, ArtifactPhase.STAGING,
                        "docker/dtr exited 1: invalid credentials"),
                new BackupPhaseChanged(v, "e8", BACKUP, CLUSTER, AT, BackupPhase.BACKING_UP, "replica a1640e1c15b6",
                        List.of(ArtifactKind.METADATA)),
                new BackupProgress(v, "e9", BACKUP, CLUSTER, AT, ArtifactKind.IMAGES, ArtifactPhase.STAGING, 4096, null,
                        12L, 1e6),
                new BackupCompleted(v, "e10", BACKUP, CLUSTER, AT, "prod-eu-1/x/manifest.json", "a1640e1c15b6", "2.9.4",
                        60000, List.of("a", "b")),
                new BackupFailed(v, "e11", BACKUP, CLUSTER, AT, BackupPhase.PARTIALLY_FAILED, "images", "blob mismatch"),
                new BackupRejected(v, "e12", BACKUP, CLUSTER, AT, "bk-1 is running", "bk-1"),
                new BackupOverdue(v, "e13", null, CLUSTER, AT, null, null, Duration.ofHours(26)),
                new VerifyRequested(v, "e14", BACKUP, CLUSTER, AT, "cron"),
                new BackupReverified(v, "e15", BACKUP, CLUSTER, AT, false, List.of("images: MDC failure")),
                new ClusterBackupRecorded(v, "e16", BACKUP, CLUSTER, AT, "a1640e1c15b6", "2.9.4", AT));
    }
}
