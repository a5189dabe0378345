package io.dtrbackup.contract.topics;

import io.dtrbackup.contract.events.ArtifactEncrypted;
import io.dtrbackup.contract.events.ArtifactFailed;
import io.dtrbackup.contract.events.ArtifactSkipped;
import io.dtrbackup.contract.events.ArtifactStaged;
import io.dtrbackup.contract.events.ArtifactVerified;
import io.dtrbackup.contract.events.BackupCompleted;
import io.dtrbackup.contract.events.BackupFailed;
import io.dtrbackup.contract.events.BackupOverdue;
import io.dtrbackup.contract.events.BackupPhaseChanged;
import io.dtrbackup.contract.events.BackupProgress;
import io.dtrbackup.contract.events.BackupRejected;
import io.dtrbackup.contract.events.BackupRequested;
import io.dtrbackup.contract.events.BackupReverified;
import io.dtrbackup.contract.events.ClusterBackupRecorded;
import io.dtrbackup.contract.events.ReplicaDiscovered;
import io.dtrbackup.contract.events.VerifyRequested;
import io.dtrbackup.contract.topics.Topic.KeyedBy;
import java.util.List;
import java.util.Map;
import java.util.Set;

/** The topic registry: every topic of dtr-backup, declared once. See docs/events.md. */
public final class Topics {
    private static final String WEEK_MS = String.valueOf(7L * 24 * 3600 * 1000);
    private static final String MONTH_MS = String.valueOf(30L * 24 * 3600 * 1000);

    /** Backup requests from the CLI, the scheduler or any producer. Keyed by cluster. */
    public static final Topic REQUESTS = new Topic("dtr-backup.requests", KeyedBy.CLUSTER,
            Set.of(BackupRequested.class), Map.of("retention.ms", WEEK_MS),
            "backup requests; consumed by discovery-service");

    /** The replica chosen for each backup; consumed by metadata-service and image-service. */
    public static final Topic REPLICAS = new Topic("dtr-backup.replicas", KeyedBy.BACKUP,
            Set.of(ReplicaDiscovered.class), Map.of("retention.ms", WEEK_MS),
            "discovered replicas; consumed by metadata-service and image-service");

    /** Plaintext artifacts complete in the staging bucket; consumed by crypto-service. */
    public static final Topic STAGED = new Topic("dtr-backup.artifacts-staged", KeyedBy.BACKUP,
            Set.of(ArtifactStaged.class), Map.of("retention.ms", WEEK_MS),
            "staged plaintext artifacts; consumed by crypto-service");

    /** Ciphertext artifacts complete in the backup bucket; consumed by verify-service. */
    public static final Topic ENCRYPTED = new Topic("dtr-backup.artifacts-encrypted", KeyedBy.BACKUP,
            Set.of(ArtifactEncrypted.class), Map.of("retention.ms", WEEK_MS),
            "encrypted artifacts; consumed by verify-service");

    /** Requests to re-verify stored backups. */
    public static final Topic VERIFY_REQUESTS = new Topic("dtr-backup.verify-requests", KeyedBy.BACKUP,
            Set.of(VerifyRequested.class), Map.of("retention.ms", WEEK_MS),
            "re-verification requests; consumed by verify-service");

    /**
     * Everything ops watch, and the whole story of each backup in order: the discovered replica
     * (with the artifacts it expects), phases, progress, every artifact outcome, the terminal
     * event, overdue clusters. verify-service folds it to decide completion; the CLI draws it.
     */
    public static final Topic STATUS = new Topic("dtr-backup.status", KeyedBy.BACKUP,
            Set.of(BackupPhaseChanged.class, BackupProgress.class, ArtifactSkipped.class, ArtifactVerified.class,
                    ArtifactFailed.class, BackupCompleted.class, BackupFailed.class, BackupRejected.class,
                    BackupOverdue.class, BackupReverified.class, ReplicaDiscovered.class, ArtifactStaged.class,
                    ArtifactEncrypted.class),
            Map.of("retention.ms", MONTH_MS),
            "phase changes, progress and outcomes of every backup; what ops watch");

    /** Latest completed backup per cluster, compacted: sticky replica and freshness. */
    public static final Topic CLUSTER_STATE = new Topic("dtr-backup.cluster-state", KeyedBy.CLUSTER,
            Set.of(ClusterBackupRecorded.class), Map.of("cleanup.policy", "compact"),
            "latest completed backup per cluster (compacted)");

    /** Records no stage could decode or process, with the reason; never consumed automatically. */
    public static final String DEAD_LETTER = "dtr-backup.dead-letter";

    private Topics() {
    }

    public static List<Topic> all() {
        return List.of(REQUESTS, REPLICAS, STAGED, ENCRYPTED, VERIFY_REQUESTS, STATUS, CLUSTER_STATE);
    }

    public static Map<String, String> deadLetterConfigs() {
        return Map.of("retention.ms", MONTH_MS);
    }
}
