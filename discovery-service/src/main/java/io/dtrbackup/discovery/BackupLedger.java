package io.dtrbackup.discovery;

import io.dtrbackup.contract.events.BackupCompleted;
import io.dtrbackup.contract.events.BackupEvent;
import io.dtrbackup.contract.events.BackupFailed;
import io.dtrbackup.contract.events.BackupPhase;
import io.dtrbackup.contract.events.BackupPhaseChanged;
import io.dtrbackup.contract.events.BackupRejected;
import io.dtrbackup.contract.events.ReplicaDiscovered;
import java.time.Duration;
import java.time.Instant;
import java.util.Comparator;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * The backups discovery knows of, folded from the status topic (and from its own events as it
 * writes them): which have started, which discovery already finished, which ended. Answers "is
 * this request a redelivery?" and "is another backup of this cluster in flight?". State only
 * moves forward, so applying an event twice, or a late one, changes nothing. Not thread-safe:
 * confined to the verticle's event loop.
 */
public final class BackupLedger {
    /** Status event types the ledger folds; others are skipped without decoding. */
    public static final Set<String> TYPES = Set.of("BackupPhaseChanged", "ReplicaDiscovered", "BackupCompleted",
            "BackupFailed", "BackupRejected");

    /** One backup as discovery sees it. */
    public static final class Entry {
        private final String backupId;
        private final String clusterId;
        private Instant firstSeen;
        private ReplicaDiscovered discovered;
        private boolean backingUp;
        private String terminal;

        Entry(String backupId, String clusterId, Instant firstSeen) {
            this.backupId = backupId;
            this.clusterId = clusterId;
            this.firstSeen = firstSeen;
        }

        public String backupId() {
            return backupId;
        }

        public String clusterId() {
            return clusterId;
        }

        public Instant firstSeen() {
            return firstSeen;
        }

        /** The ReplicaDiscovered published for it, until it ends. */
        public ReplicaDiscovered discovered() {
            return discovered;
        }

        /** Discovery's last event (phase BACKING_UP) or a later phase was seen. */
        public boolean backingUp() {
            return backingUp;
        }

        /** The terminal event type, or null while in flight. */
        public String terminal() {
            return terminal;
        }

        public boolean ended() {
            return terminal != null;
        }
    }

    private final Map<String, Entry> backups = new HashMap<>();

    public void apply(BackupEvent event) {
        if (event.backupId() == null || !TYPES.contains(event.type())) {
            return;
        }
        Entry entry = backups.computeIfAbsent(event.backupId(),
                id -> new Entry(id, event.clusterId(), event.occurredAt()));
        if (event.occurredAt().isBefore(entry.firstSeen)) {
            entry.firstSeen = event.occurredAt();
        }
        if (event instanceof BackupPhaseChanged p) {
            if (p.phase().ordinal() >= BackupPhase.BACKING_UP.ordinal()) {
                entry.backingUp = true;
            }
        } else if (event instanceof ReplicaDiscovered d) {
            if (entry.terminal == null) {
                entry.discovered = d;
            }
        } else if (event instanceof BackupCompleted || event instanceof BackupFailed
                || event instanceof BackupRejected) {
            end(entry, event);
        }
    }

    private static void end(Entry entry, BackupEvent event) {
        if (entry.terminal == null) {
            entry.terminal = event.type();
        }
        entry.discovered = null; // not needed any more; keeps the ledger small
    }

    public Optional<Entry> get(String backupId) {
        return Optional.ofNullable(backups.get(backupId));
    }

    /**
     * The newest backup of the cluster that started, has not ended and is younger than
     * {@code maxAge} (an older one lost its terminal event somewhere and must not block forever),
     * other than {@code exceptBackupId}.
     */
    public Optional<Entry> inFlight(String clusterId, String exceptBackupId, Instant now, Duration maxAge) {
        return backups.values().stream()
                .filter(e -> e.clusterId.equals(clusterId) && !e.ended() && !e.backupId.equals(exceptBackupId))
                .filter(e -> e.firstSeen.isAfter(now.minus(maxAge)))
                .max(Comparator.comparing(Entry::firstSeen));
    }

    /** Forgets backups that ended and started before {@code before}; keeps the ledger bounded. */
    public void pruneEnded(Instant before) {
        backups.values().removeIf(e -> e.ended() && e.firstSeen.isBefore(before));
    }

    public int size() {
        return backups.size();
    }
}
