package io.dtrbackup.common.status;

import io.dtrbackup.contract.events.ArtifactEncrypted;
import io.dtrbackup.contract.events.ArtifactFailed;
import io.dtrbackup.contract.events.ArtifactKind;
import io.dtrbackup.contract.events.ArtifactPhase;
import io.dtrbackup.contract.events.ArtifactSkipped;
import io.dtrbackup.contract.events.ArtifactStaged;
import io.dtrbackup.contract.events.ArtifactVerified;
import io.dtrbackup.contract.events.BackupCompleted;
import io.dtrbackup.contract.events.BackupEvent;
import io.dtrbackup.contract.events.BackupFailed;
import io.dtrbackup.contract.events.BackupOverdue;
import io.dtrbackup.contract.events.BackupPhase;
import io.dtrbackup.contract.events.BackupPhaseChanged;
import io.dtrbackup.contract.events.BackupProgress;
import io.dtrbackup.contract.events.BackupRejected;
import io.dtrbackup.contract.events.BackupRequested;
import io.dtrbackup.contract.events.BackupReverified;
import io.dtrbackup.contract.events.ClusterBackupRecorded;
import io.dtrbackup.contract.events.ReplicaDiscovered;
import io.dtrbackup.contract.events.VerifyRequested;
import java.time.Instant;
import java.util.Collections;
import java.util.EnumMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * The fold of one backup's events on the status topic, in order: its phase, each artifact's
 * phase, what is still awaited, and the outcome once it can be decided. Pure and single-threaded:
 * feed it events with {@link #apply}; verify-service decides completion with it, the CLI draws it.
 *
 * <p>Rules: phases only move forward; an artifact's terminal phase (VERIFIED, SKIPPED, FAILED) is
 * final; once a terminal backup event (BackupCompleted, BackupFailed, BackupRejected) is seen the
 * backup is frozen (later events such as re-verification results do not reopen it). Events with an
 * eventId already applied are ignored (Kafka delivers at least once), except progress, whose IDs
 * are random and whose effect is idempotent anyway.
 *
 * <p>Outcome: METADATA failed or skipped decides FAILED at once (nothing can rescue it); otherwise
 * the outcome waits until every expected artifact is terminal: all VERIFIED (IMAGES may be
 * SKIPPED) is COMPLETED, METADATA VERIFIED with IMAGES FAILED is PARTIALLY_FAILED.
 */
public final class BackupStatus {
    private final String backupId;
    private String clusterId;
    private ReplicaDiscovered discovered;
    private List<ArtifactKind> expected;
    private BackupPhase explicitPhase = BackupPhase.REQUESTED;
    private final Map<ArtifactKind, ArtifactStatus> artifacts = new EnumMap<>(ArtifactKind.class);
    private BackupEvent terminal;
    private BackupReverified lastReverification;
    private Instant firstEventAt;
    private Instant lastEventAt;
    private String lastEventType;
    private final Set<String> seen = new HashSet<>();

    public BackupStatus(String backupId) {
        this.backupId = backupId;
    }

    /**
     * Applies the next event of this backup. Returns false when it was a duplicate or carried
     * nothing for this fold (cluster-level events).
     */
    public boolean apply(BackupEvent event) {
        if (event.backupId() == null || event instanceof BackupOverdue || event instanceof ClusterBackupRecorded
                || event instanceof BackupRequested || event instanceof VerifyRequested) {
            return false;
        }
        if (!backupId.equals(event.backupId())) {
            throw new IllegalArgumentException("event of backup " + event.backupId() + " applied to " + backupId);
        }
        if (!(event instanceof BackupProgress) && !seen.add(event.eventId())) {
            return false;
        }
        clusterId = clusterId == null ? event.clusterId() : clusterId;
        Instant at = event.occurredAt();
        firstEventAt = firstEventAt == null || at.isBefore(firstEventAt) ? at : firstEventAt;
        lastEventAt = lastEventAt == null || at.isAfter(lastEventAt) ? at : lastEventAt;
        lastEventType = event.type();
        if (event instanceof BackupReverified r) {
            lastReverification = r;
            return true;
        }
        if (terminal != null) {
            return true; // frozen: a backup ends once
        }
        if (event instanceof ReplicaDiscovered e) {
            discovered = e;
            expected = e.expectedArtifacts();
            e.expectedArtifacts().forEach(k -> artifact(k, e.occurredAt()));
            advance(BackupPhase.BACKING_UP);
        } else if (event instanceof BackupPhaseChanged e) {
            if (e.expectedArtifacts() != null && expected == null) {
                expected = e.expectedArtifacts();
                e.expectedArtifacts().forEach(k -> artifact(k, e.occurredAt()));
            }
            advance(e.phase());
        } else if (event instanceof ArtifactStaged e) {
            update(e.kind(), e.occurredAt(), a -> a.isTerminal() ? a
                    : forward(a.withStagedKeepPhase(e), a, ArtifactPhase.STAGED, e.occurredAt()));
        } else if (event instanceof ArtifactEncrypted e) {
            update(e.kind(), e.occurredAt(), a -> a.isTerminal() ? a
                    : forward(a.withEncryptedKeepPhase(e), a, ArtifactPhase.ENCRYPTED, e.occurredAt()));
        } else if (event instanceof ArtifactSkipped e) {
            update(e.kind(), e.occurredAt(), a -> a.isTerminal() ? a : a.withSkipped(e));
        } else if (event instanceof ArtifactVerified e) {
            if (!e.reverification()) {
                update(e.kind(), e.occurredAt(), a -> a.isTerminal() ? a : a.withVerified(e));
            }
        } else if (event instanceof ArtifactFailed e) {
            update(e.kind(), e.occurredAt(), a -> a.isTerminal() ? a : a.withFailed(e));
        } else if (event instanceof BackupProgress e) {
            update(e.kind(), e.occurredAt(),
                    a -> a.isTerminal() ? a : a.withProgress(e.stage(), e.bytesDone(), e.occurredAt()));
        } else if (event instanceof BackupCompleted || event instanceof BackupFailed || event instanceof BackupRejected) {
            terminal = event;
        } else {
            return false;
        }
        return true;
    }

    private static ArtifactStatus forward(ArtifactStatus withData, ArtifactStatus before, ArtifactPhase next, Instant at) {
        return next.ordinal() > before.phase().ordinal() ? withData.withPhase(next, at) : withData;
    }

    private void update(ArtifactKind kind, Instant at, java.util.function.UnaryOperator<ArtifactStatus> change) {
        artifacts.put(kind, change.apply(artifact(kind, at)));
    }

    private ArtifactStatus artifact(ArtifactKind kind, Instant at) {
        return artifacts.computeIfAbsent(kind, k -> ArtifactStatus.pending(k, at));
    }

    private void advance(BackupPhase phase) {
        if (!phase.isTerminal() && phase.ordinal() > explicitPhase.ordinal()) {
            explicitPhase = phase;
        }
    }

    public String backupId() {
        return backupId;
    }

    public String clusterId() {
        return clusterId;
    }

    /** The discovery event (replica, version, trigger, options), or empty before discovery. */
    public Optional<ReplicaDiscovered> discovered() {
        return Optional.ofNullable(discovered);
    }

    /** The artifacts this backup must produce, or empty while discovery has not said. */
    public Optional<List<ArtifactKind>> expectedArtifacts() {
        return Optional.ofNullable(expected);
    }

    /** The backup's phase: terminal once a terminal event was seen, else the furthest reached. */
    public BackupPhase phase() {
        if (terminal instanceof BackupCompleted) {
            return BackupPhase.COMPLETED;
        }
        if (terminal instanceof BackupFailed f) {
            return f.phase();
        }
        if (terminal instanceof BackupRejected) {
            return BackupPhase.REJECTED;
        }
        BackupPhase derived = derivedPhase();
        return derived.ordinal() > explicitPhase.ordinal() ? derived : explicitPhase;
    }

    private BackupPhase derivedPhase() {
        if (expected == null) {
            return BackupPhase.REQUESTED;
        }
        int least = Integer.MAX_VALUE;
        for (ArtifactKind kind : expected) {
            ArtifactStatus a = artifacts.get(kind);
            if (a != null && !a.isTerminal()) {
                least = Math.min(least, a.phase().ordinal());
            }
        }
        if (least == Integer.MAX_VALUE || least >= ArtifactPhase.ENCRYPTED.ordinal()) {
            return BackupPhase.VERIFYING;
        }
        if (least >= ArtifactPhase.STAGED.ordinal()) {
            return BackupPhase.ENCRYPTING;
        }
        return BackupPhase.BACKING_UP;
    }

    public Optional<ArtifactStatus> artifact(ArtifactKind kind) {
        return Optional.ofNullable(artifacts.get(kind));
    }

    /** Every artifact heard of, expected or not. */
    public Map<ArtifactKind, ArtifactStatus> artifacts() {
        return Collections.unmodifiableMap(artifacts);
    }

    /**
     * Expected artifacts that are not terminal yet, with their phase. Empty once all are
     * terminal, or when the backup is terminal, or while the expected set is unknown.
     */
    public Map<ArtifactKind, ArtifactPhase> awaited() {
        Map<ArtifactKind, ArtifactPhase> awaited = new LinkedHashMap<>();
        if (terminal != null || expected == null) {
            return awaited;
        }
        for (ArtifactKind kind : expected) {
            ArtifactStatus a = artifacts.get(kind);
            if (a == null || !a.isTerminal()) {
                awaited.put(kind, a == null ? ArtifactPhase.PENDING : a.phase());
            }
        }
        return awaited;
    }

    public boolean isTerminal() {
        return terminal != null;
    }

    /** The BackupCompleted, BackupFailed or BackupRejected event, when seen. */
    public Optional<BackupEvent> terminalEvent() {
        return Optional.ofNullable(terminal);
    }

    /**
     * How the backup ends, when that can be decided: from its terminal event, or from the
     * artifacts (see the class comment). Empty while it can still go either way.
     */
    public Optional<BackupOutcome> outcome() {
        if (terminal instanceof BackupCompleted) {
            return Optional.of(BackupOutcome.completed());
        }
        if (terminal instanceof BackupFailed f) {
            return Optional.of(new BackupOutcome(f.phase(), f.failedStage(), f.reason()));
        }
        if (terminal instanceof BackupRejected r) {
            return Optional.of(new BackupOutcome(BackupPhase.REJECTED, "discovery", r.reason()));
        }
        if (expected == null) {
            return Optional.empty();
        }
        ArtifactStatus metadata = artifacts.get(ArtifactKind.METADATA);
        if (metadata != null && metadata.phase() == ArtifactPhase.FAILED) {
            return Optional.of(failure(BackupPhase.FAILED, metadata));
        }
        if (metadata != null && metadata.phase() == ArtifactPhase.SKIPPED) {
            return Optional.of(new BackupOutcome(BackupPhase.FAILED, "metadata",
                    "the metadata artifact was skipped (" + metadata.skipped().reason() + "); a backup without metadata "
                            + "cannot be restored"));
        }
        if (!awaited().isEmpty()) {
            return Optional.empty();
        }
        for (ArtifactKind kind : expected) {
            ArtifactStatus a = artifacts.get(kind);
            if (a.phase() == ArtifactPhase.FAILED) {
                return Optional.of(failure(kind == ArtifactKind.METADATA ? BackupPhase.FAILED : BackupPhase.PARTIALLY_FAILED, a));
            }
        }
        return Optional.of(BackupOutcome.completed());
    }

    private static BackupOutcome failure(BackupPhase phase, ArtifactStatus a) {
        ArtifactFailed f = a.failed();
        String stage = switch (f.phase()) {
            case ENCRYPTING, ENCRYPTED -> "crypto";
            case VERIFYING, VERIFIED -> "verify";
            default -> a.kind().id();
        };
        String prefix = phase == BackupPhase.PARTIALLY_FAILED
                ? "metadata verified but the " + a.kind().id() + " artifact failed while "
                : "the " + a.kind().id() + " artifact failed while ";
        return new BackupOutcome(phase, stage, prefix + f.phase().name().toLowerCase(java.util.Locale.ROOT) + ": " + f.reason());
    }

    public Optional<BackupReverified> lastReverification() {
        return Optional.ofNullable(lastReverification);
    }

    public Instant firstEventAt() {
        return firstEventAt;
    }

    /** When the last event of this backup happened (its occurredAt); the deadline counts from here. */
    public Instant lastEventAt() {
        return lastEventAt;
    }

    public String lastEventType() {
        return lastEventType;
    }
}
