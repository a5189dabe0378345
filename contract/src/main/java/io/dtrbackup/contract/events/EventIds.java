package io.dtrbackup.contract.events;

import java.util.Locale;
import java.util.UUID;

/**
 * Event IDs, one recipe per event type. A stage that may be redelivered gives its event a
 * deterministic ID built from the backup, the event type and what makes the event one of a kind
 * (the artifact, the phase, the re-verification request), so a consumer recognises the duplicate
 * and two different events never share an ID; progress and other repeatable events get random IDs.
 * The recipes are part of the contract: every service builds IDs here and nowhere else.
 */
public final class EventIds {
    private EventIds() {
    }

    public static String backupRequested(String backupId) {
        return deterministic(backupId, "BackupRequested");
    }

    public static String backupRejected(String backupId) {
        return deterministic(backupId, "BackupRejected");
    }

    public static String replicaDiscovered(String backupId) {
        return deterministic(backupId, "ReplicaDiscovered");
    }

    public static String phaseChanged(String backupId, BackupPhase phase) {
        return deterministic(backupId, "BackupPhaseChanged", phase);
    }

    /** metadata-service's warning that a cluster uses {@code ucp.insecureTls} (a phase event of its own). */
    public static String insecureTlsWarning(String backupId) {
        return deterministic(backupId, "BackupPhaseChanged", ArtifactKind.METADATA, "insecure-tls");
    }

    public static String artifactStaged(String backupId, ArtifactKind kind) {
        return deterministic(backupId, "ArtifactStaged", kind);
    }

    public static String artifactSkipped(String backupId, ArtifactKind kind) {
        return deterministic(backupId, "ArtifactSkipped", kind);
    }

    public static String artifactEncrypted(String backupId, ArtifactKind kind) {
        return deterministic(backupId, "ArtifactEncrypted", kind);
    }

    public static String artifactVerified(String backupId, ArtifactKind kind) {
        return deterministic(backupId, "ArtifactVerified", kind);
    }

    /** The same artifact verified again on a re-verification request: one ID per request. */
    public static String artifactReverified(String backupId, ArtifactKind kind, String requestId) {
        return deterministic(backupId, "ArtifactVerified", kind, "reverify", requestId);
    }

    /** An artifact failed in {@code phase} ({@code STAGING}, {@code ENCRYPTING} or {@code VERIFYING}). */
    public static String artifactFailed(String backupId, ArtifactKind kind, ArtifactPhase phase) {
        return deterministic(backupId, "ArtifactFailed", kind, phase);
    }

    /** An artifact found damaged by a re-verification request: one ID per request. */
    public static String artifactReverifyFailed(String backupId, ArtifactKind kind, String requestId) {
        return deterministic(backupId, "ArtifactFailed", kind, "reverify", requestId);
    }

    public static String backupCompleted(String backupId) {
        return deterministic(backupId, "BackupCompleted");
    }

    public static String backupFailed(String backupId) {
        return deterministic(backupId, "BackupFailed");
    }

    public static String clusterBackupRecorded(String backupId) {
        return deterministic(backupId, "ClusterBackupRecorded");
    }

    public static String backupReverified(String backupId, String requestEventId) {
        return deterministic(backupId, "BackupReverified", requestEventId);
    }

    public static String random() {
        return UUID.randomUUID().toString();
    }

    static String deterministic(String backupId, String type, Object... parts) {
        StringBuilder id = new StringBuilder(backupId).append(':').append(type);
        for (Object part : parts) {
            id.append(':').append(part instanceof Enum<?> e ? e.name().toLowerCase(Locale.ROOT) : part);
        }
        return id.toString();
    }
}
