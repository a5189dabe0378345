package io.dtrbackup.verify.completion;

import io.dtrbackup.verify.VerifyServiceConfig;
import io.dtrbackup.contract.events.ArtifactEncrypted;
import io.dtrbackup.contract.events.ArtifactPhase;
import io.dtrbackup.contract.events.ArtifactStaged;
import io.dtrbackup.contract.events.ArtifactVerified;
import io.dtrbackup.contract.events.BackupEvent;
import io.dtrbackup.contract.events.BackupFailed;
import io.dtrbackup.contract.events.BackupPhase;
import io.dtrbackup.contract.events.EventCodec;
import io.dtrbackup.contract.events.MalformedEventException;
import io.dtrbackup.common.kafka.KafkaSettings;
import io.dtrbackup.common.log.BackupLog;
import io.dtrbackup.common.status.BackupOutcome;
import io.dtrbackup.common.status.BackupStatus;
import io.dtrbackup.common.status.StatusBoard;
import io.dtrbackup.contract.topics.Topics;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;
import org.apache.kafka.clients.consumer.ConsumerRebalanceListener;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Decides when backups end: consumes the status topic (group {@code verify-service-completion}),
 * folds each backup's events ({@link StatusBoard}), and when a backup's outcome is decided (or it
 * passed the deadline) has {@link BackupFinisher} end it.
 *
 * <p>Why a dedicated thread with a plain Kafka consumer: the fold must survive a restart, and the
 * instance that owns a backup's partition must hold its whole story. On every assignment the loop
 * reads the partition again from the beginning, only folding records before the group's
 * committed offset ("replay") and acting on records after it ("live"); the seek in the rebalance
 * listener is synchronous, which Vert.x's asynchronous consumer cannot guarantee. Ending a backup
 * blocks (S3, broker acks), which is fine here, off the event loop. The status topic is keyed by
 * backup, so one owner sees a backup's events in order, and a backup is decided by one instance.
 */
public final class CompletionLoop implements Runnable {
    private static final Logger LOG = LoggerFactory.getLogger(CompletionLoop.class);
    static final String GROUP = "verify-service-completion";

    private final Map<String, String> consumerConfig;
    private final BackupFinisher finisher;
    private final Duration deadline;
    private final Duration checkInterval;
    private final StatusBoard board = new StatusBoard();
    private final Map<String, TopicPartition> partitionOf = new HashMap<>();
    private final Map<TopicPartition, Long> replayUntil = new HashMap<>();
    private final Set<TopicPartition> awaitingReplay = new HashSet<>();
    private final Map<TopicPartition, OffsetAndMetadata> toCommit = new HashMap<>();
    private volatile boolean running = true;
    private volatile boolean ready;
    private KafkaConsumer<String, byte[]> consumer;
    private Thread thread;
    private Instant nextSweep = Instant.now();

    public CompletionLoop(KafkaSettings kafka, String clientId, BackupFinisher finisher, Duration deadline, Duration checkInterval) {
        this.consumerConfig = kafka.consumer(GROUP, clientId);
        this.finisher = finisher;
        this.deadline = deadline;
        this.checkInterval = checkInterval;
    }

    public void start() {
        thread = new Thread(this, "verify-completion");
        thread.setDaemon(true);
        thread.start();
    }

    /** True once partitions were assigned and their history replayed (for tests and health). */
    public boolean isReady() {
        return ready;
    }

    public void stop(Duration timeout) throws InterruptedException {
        running = false;
        if (consumer != null) {
            consumer.wakeup();
        }
        if (thread != null) {
            thread.join(timeout.toMillis());
        }
    }

    @Override
    public void run() {
        Map<String, Object> props = new HashMap<>(consumerConfig);
        props.put("max.poll.records", "500");
        try (KafkaConsumer<String, byte[]> c = new KafkaConsumer<>(props)) {
            consumer = c;
            c.subscribe(List.of(Topics.STATUS.name()), new Rebalance());
            LOG.info("completion: folding {} as group {}", Topics.STATUS, GROUP);
            while (running) {
                try {
                    ConsumerRecords<String, byte[]> records = c.poll(Duration.ofMillis(500));
                    for (ConsumerRecord<String, byte[]> r : records) {
                        handle(r);
                    }
                    finishReplays();
                    if (!Instant.now().isBefore(nextSweep)) {
                        sweep();
                        nextSweep = Instant.now().plus(checkInterval);
                    }
                    commit();
                } catch (WakeupException e) {
                    throw e;
                } catch (RuntimeException e) {
                    // e.g. the broker unreachable for a while: uncommitted records come again, the fold is idempotent
                    LOG.error("completion: {}; going on", e.toString(), e);
                }
            }
        } catch (WakeupException e) {
            if (running) {
                LOG.error("completion loop woken up unexpectedly", e);
            }
        } catch (RuntimeException e) {
            LOG.error("completion loop stopped: {}", e.toString(), e);
        }
    }

    private void handle(ConsumerRecord<String, byte[]> r) {
        TopicPartition tp = new TopicPartition(r.topic(), r.partition());
        boolean live = r.offset() >= replayUntil.getOrDefault(tp, 0L);
        BackupEvent event;
        try {
            event = EventCodec.decode(r.value());
        } catch (MalformedEventException e) {
            if (live) {
                LOG.warn("completion: skipping undecodable status record {}-{}@{}: {}", r.topic(), r.partition(),
                        r.offset(), e.getMessage());
                toCommit.put(tp, new OffsetAndMetadata(r.offset() + 1));
            }
            return;
        }
        Optional<BackupStatus> folded = board.apply(event);
        if (folded.isPresent()) {
            BackupStatus status = folded.get();
            partitionOf.put(status.backupId(), tp);
            if (live) {
                try (var s = BackupLog.scope(status.backupId(), status.clusterId())) {
                    react(status, event);
                }
            }
        }
        if (live) {
            toCommit.put(tp, new OffsetAndMetadata(r.offset() + 1));
        }
    }

    private void react(BackupStatus status, BackupEvent event) {
        if (status.isTerminal()) {
            boolean failed = status.terminalEvent().orElse(null) instanceof BackupFailed;
            boolean storesSomething = event instanceof BackupFailed || event instanceof ArtifactEncrypted
                    || event instanceof ArtifactStaged || event instanceof ArtifactVerified;
            if (failed && storesSomething) {
                try {
                    finisher.removeLeftovers(status.clusterId(), status.backupId());
                } catch (RuntimeException e) {
                    LOG.warn("could not remove leftovers of failed backup {} ({}); retried on its next event",
                            status.backupId(), e.toString());
                }
            }
            return;
        }
        evaluate(status);
    }

    /** Ends the backup if its outcome is decided; a failure to end it is retried by the next sweep. */
    private void evaluate(BackupStatus status) {
        Optional<BackupOutcome> outcome = status.outcome();
        if (outcome.isEmpty() || status.isTerminal()) {
            return;
        }
        end(status, outcome.get());
    }

    private void end(BackupStatus status, BackupOutcome outcome) {
        try {
            BackupEvent terminal = outcome.isSuccess() ? finisher.complete(status) : finisher.fail(status, outcome);
            status.apply(terminal); // terminal at once: the record coming back is a duplicate
        } catch (Exception e) {
            LOG.error("could not end backup {} as {} ({}); retrying in {}", status.backupId(), outcome.phase(),
                    e.toString(), checkInterval);
        }
    }

    private void sweep() {
        Instant now = Instant.now();
        for (BackupStatus status : List.copyOf(board.all())) {
            TopicPartition tp = partitionOf.get(status.backupId());
            if (status.isTerminal() || tp == null || awaitingReplay.contains(tp) || !replayUntil.containsKey(tp)) {
                continue;
            }
            try (var s = BackupLog.scope(status.backupId(), status.clusterId())) {
                Optional<BackupOutcome> outcome = status.outcome();
                if (outcome.isPresent()) {
                    end(status, outcome.get());
                } else if (status.lastEventAt() != null && status.lastEventAt().plus(deadline).isBefore(now)) {
                    end(status, deadlineOutcome(status));
                }
            }
        }
    }

    /** A backup that stopped moving: say which stage it waits for, so the operator knows whose logs to read. */
    BackupOutcome deadlineOutcome(BackupStatus status) {
        Map<?, ArtifactPhase> awaited = status.awaited();
        String waiting;
        if (status.expectedArtifacts().isEmpty()) {
            waiting = "discovery never reported the replica (check discovery-service)";
        } else {
            waiting = "awaited: " + awaited.entrySet().stream()
                    .map(e -> e.getKey().toString().toLowerCase(Locale.ROOT) + " " + e.getValue() + " (check "
                            + owner(e.getKey().toString(), e.getValue()) + ")")
                    .collect(Collectors.joining(", "));
        }
        BackupPhase phase = BackupPhase.FAILED;
        return new BackupOutcome(phase, "deadline", "no stage reported for " + deadline + " (deadline "
                + VerifyServiceConfig.STAGE_DEADLINE.envName() + "); last event " + status.lastEventType() + " at "
                + status.lastEventAt() + "; " + waiting);
    }

    private static String owner(String kind, ArtifactPhase phase) {
        return switch (phase) {
            case PENDING, STAGING -> kind.equals("METADATA") ? "metadata-service" : "image-service";
            case STAGED, ENCRYPTING -> "crypto-service";
            default -> "verify-service";
        };
    }

    private void finishReplays() {
        for (TopicPartition tp : List.copyOf(awaitingReplay)) {
            long until = replayUntil.getOrDefault(tp, 0L);
            if (consumer.position(tp) >= until) {
                awaitingReplay.remove(tp);
                List<BackupStatus> owned = backupsOf(tp);
                LOG.info("completion: {} replayed up to offset {}: {} backup(s), {} in flight", tp, until, owned.size(),
                        owned.stream().filter(b -> !b.isTerminal()).count());
                for (BackupStatus status : owned) {
                    if (!status.isTerminal()) {
                        try (var s = BackupLog.scope(status.backupId(), status.clusterId())) {
                            evaluate(status); // e.g. all verified but the service stopped before completing
                        }
                    }
                }
            }
        }
        ready = awaitingReplay.isEmpty() && !replayUntil.isEmpty();
    }

    private List<BackupStatus> backupsOf(TopicPartition tp) {
        List<BackupStatus> list = new ArrayList<>();
        partitionOf.forEach((id, p) -> {
            if (p.equals(tp)) {
                board.get(id).ifPresent(list::add);
            }
        });
        return list;
    }

    private void commit() {
        if (toCommit.isEmpty()) {
            return;
        }
        try {
            consumer.commitSync(Map.copyOf(toCommit));
            toCommit.clear();
        } catch (RuntimeException e) {
            LOG.warn("completion: commit failed ({}); records may be folded again, which is idempotent", e.toString());
        }
    }

    private final class Rebalance implements ConsumerRebalanceListener {
        @Override
        public void onPartitionsRevoked(Collection<TopicPartition> partitions) {
            commit();
            for (TopicPartition tp : partitions) {
                forget(tp);
            }
            LOG.info("completion: partitions revoked: {}", partitions);
        }

        @Override
        public void onPartitionsAssigned(Collection<TopicPartition> partitions) {
            if (partitions.isEmpty()) {
                return;
            }
            Map<TopicPartition, OffsetAndMetadata> committed = consumer.committed(new HashSet<>(partitions));
            for (TopicPartition tp : partitions) {
                forget(tp);
                OffsetAndMetadata c = committed.get(tp);
                replayUntil.put(tp, c == null ? 0L : c.offset());
                awaitingReplay.add(tp);
            }
            consumer.seekToBeginning(partitions);
            ready = false;
            LOG.info("completion: partitions assigned: {}; replaying them from the beginning", partitions);
        }

        private void forget(TopicPartition tp) {
            for (BackupStatus b : backupsOf(tp)) {
                board.remove(b.backupId());
                partitionOf.remove(b.backupId());
            }
            replayUntil.remove(tp);
            awaitingReplay.remove(tp);
            toCommit.remove(tp);
        }
    }
}
