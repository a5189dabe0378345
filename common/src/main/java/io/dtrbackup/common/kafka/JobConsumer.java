package io.dtrbackup.common.kafka;

import io.dtrbackup.common.events.BackupEvent;
import io.dtrbackup.common.events.DeadLetter;
import io.dtrbackup.common.events.EventCodec;
import io.dtrbackup.common.events.MalformedEventException;
import io.dtrbackup.common.log.BackupLog;
import io.dtrbackup.common.topics.Topic;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.kafka.client.common.TopicPartition;
import io.vertx.kafka.client.consumer.KafkaConsumer;
import io.vertx.kafka.client.consumer.KafkaConsumerRecord;
import io.vertx.kafka.client.consumer.OffsetAndMetadata;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Consumes a topic whose records start long jobs (a backup, an encryption), with the guarantees
 * the pipeline needs:
 * <ul>
 * <li>an offset is committed only after the job's future completed, i.e. after its output event
 * was acknowledged by the broker, and never past a job that has not finished;</li>
 * <li>one job at a time per partition (records of one key stay in order), at most
 * {@code maxConcurrentJobs} across partitions;</li>
 * <li>a partition with work pending is paused (not the consumer), so polling goes on and the
 * group does not evict the member during a long job;</li>
 * <li>a record that does not decode goes to the dead-letter topic with the reason and is
 * skipped; a job that keeps failing is retried with back-off, then dead-lettered;</li>
 * <li>after a rebalance, records of a partition this member got back while its job was still
 * running are not run a second time.</li>
 * </ul>
 * All state is confined to the Vert.x context that called {@link #start()}.
 */
public final class JobConsumer<E extends BackupEvent> {
    private static final Logger LOG = LoggerFactory.getLogger(JobConsumer.class);

    /** The work a record starts. The future completes once the job's output events are written. */
    @FunctionalInterface
    public interface Job<E> {
        Future<Void> run(E event, RecordOrigin origin);
    }

    /** Where a record came from, for logs and dead letters. */
    public record RecordOrigin(String topic, int partition, long offset, String key, int attempt) {
    }

    /**
     * What happened to jobs, for metrics. Called on the consumer's context; must not block. All
     * methods default to nothing, so a listener implements only what it needs.
     */
    public interface Listener {
        /** A job's future completed: its output is written and its offset will be committed. */
        default void jobCompleted(Duration took) {
        }

        /** One attempt of a job failed; it is retried, or dead-lettered after the last attempt. */
        default void jobFailed() {
        }

        /** A record went to the dead-letter topic (undecodable, or its job kept failing). */
        default void deadLettered() {
        }
    }

    private static final Listener NO_LISTENER = new Listener() {
    };

    /** Tunables with documented defaults. */
    public record Options(int maxConcurrentJobs, int maxAttempts, Duration firstRetryDelay, Duration maxRetryDelay) {
        public static Options defaults(int maxConcurrentJobs) {
            return new Options(maxConcurrentJobs, 5, Duration.ofSeconds(1), Duration.ofSeconds(30));
        }
    }

    private static final class PartitionState {
        final TopicPartition partition;
        final Deque<KafkaConsumerRecord<String, byte[]>> queue = new ArrayDeque<>();
        boolean owned = true;
        boolean paused;
        boolean busy;
        long lastDone = -1;

        PartitionState(TopicPartition partition) {
            this.partition = partition;
        }
    }

    private final Vertx vertx;
    private final String service;
    private final Topic topic;
    private final Class<E> eventType;
    private final Map<String, String> consumerConfig;
    private final EventPublisher publisher;
    private final Job<E> job;
    private final Options options;
    private final Map<TopicPartition, PartitionState> partitions = new HashMap<>();
    private KafkaConsumer<String, byte[]> consumer;
    private int running;
    private boolean stopping;
    private Promise<Void> drained;
    private Listener listener = NO_LISTENER;

    public JobConsumer(Vertx vertx, String service, Topic topic, Class<E> eventType, Map<String, String> consumerConfig,
            EventPublisher publisher, Options options, Job<E> job) {
        this.vertx = vertx;
        this.service = service;
        this.topic = topic;
        this.eventType = eventType;
        this.consumerConfig = consumerConfig;
        this.publisher = publisher;
        this.options = options;
        this.job = job;
    }

    public Future<Void> start() {
        consumer = KafkaConsumer.create(vertx, consumerConfig);
        consumer.exceptionHandler(e -> LOG.warn("{}: consumer error on {}: {}", service, topic, e.toString()));
        consumer.partitionsAssignedHandler(this::onAssigned);
        consumer.partitionsRevokedHandler(this::onRevoked);
        consumer.handler(this::onRecord);
        return consumer.subscribe(topic.name())
                .onSuccess(v -> LOG.info("{}: consuming {} as group {} (max {} concurrent jobs)", service, topic,
                        consumerConfig.get("group.id"), options.maxConcurrentJobs()));
    }

    /** Stops taking new records, lets running jobs finish (up to the timeout), then closes. */
    public Future<Void> stop(Duration timeout) {
        if (consumer == null) {
            return Future.succeededFuture();
        }
        stopping = true;
        drained = Promise.promise();
        consumer.pause();
        partitions.values().forEach(st -> st.queue.clear());
        if (running == 0) {
            drained.tryComplete();
        }
        long timer = vertx.setTimer(timeout.toMillis(), t -> drained.tryComplete());
        return drained.future().compose(v -> {
            vertx.cancelTimer(timer);
            if (running > 0) {
                LOG.warn("{}: closing with {} job(s) still running; their records will be redelivered", service, running);
            }
            return consumer.close();
        });
    }

    /** Sets the listener told about job outcomes (metrics); call before {@link #start()}. */
    public JobConsumer<E> listener(Listener listener) {
        this.listener = listener == null ? NO_LISTENER : listener;
        return this;
    }

    /** The consumer group this consumer commits in. */
    public String groupId() {
        return consumerConfig.get("group.id");
    }

    /** Jobs running now; for metrics and tests. */
    public int runningJobs() {
        return running;
    }

    private void onRecord(KafkaConsumerRecord<String, byte[]> record) {
        if (stopping) {
            return;
        }
        TopicPartition tp = new TopicPartition(record.topic(), record.partition());
        PartitionState st = partitions.computeIfAbsent(tp, PartitionState::new);
        if (record.offset() <= st.lastDone) {
            return; // redelivered after a rebalance, already done by this member
        }
        st.queue.add(record);
        if (!st.paused) {
            st.paused = true;
            consumer.pause(tp);
        }
        drain();
    }

    private void drain() {
        for (PartitionState st : partitions.values()) {
            if (running >= options.maxConcurrentJobs() || stopping) {
                return;
            }
            if (st.busy || !st.owned) {
                continue;
            }
            KafkaConsumerRecord<String, byte[]> next = st.queue.poll();
            while (next != null && next.offset() <= st.lastDone) {
                next = st.queue.poll();
            }
            if (next == null) {
                resumeIfIdle(st);
                continue;
            }
            st.busy = true;
            running++;
            KafkaConsumerRecord<String, byte[]> record = next;
            process(record, 1).onComplete(ar -> finished(st, record));
        }
    }

    /** Runs one record to an outcome: job done, or record dead-lettered. Only fails if Kafka is unusable. */
    private Future<Void> process(KafkaConsumerRecord<String, byte[]> record, int attempt) {
        E event;
        try {
            event = EventCodec.decode(record.value(), eventType);
        } catch (MalformedEventException e) {
            LOG.warn("{}: record {}-{}@{} is not a valid {}: {}; sent to the dead-letter topic", service, record.topic(),
                    record.partition(), record.offset(), eventType.getSimpleName(), e.getMessage());
            return deadLetter(record, e.getMessage());
        }
        RecordOrigin origin = new RecordOrigin(record.topic(), record.partition(), record.offset(), record.key(), attempt);
        long startedAt = System.nanoTime();
        Future<Void> result;
        try {
            result = job.run(event, origin);
        } catch (RuntimeException e) {
            result = Future.failedFuture(e);
        }
        result.onSuccess(v -> listener.jobCompleted(Duration.ofNanos(System.nanoTime() - startedAt)));
        return result.recover(failure -> {
            listener.jobFailed();
            try (var ignored = BackupLog.scope(event.backupId(), event.clusterId())) {
                if (attempt >= options.maxAttempts()) {
                    LOG.error("{}: job for {} failed {} times, last: {}; sent to the dead-letter topic", service,
                            event.type(), attempt, failure.toString());
                    return deadLetter(record, "job failed " + attempt + " times, last error: " + failure.getMessage());
                }
                long delay = retryDelay(attempt);
                LOG.warn("{}: job for {} failed (retry {} of {} in {} ms): {}", service, event.type(), attempt,
                        options.maxAttempts() - 1, delay, failure.toString());
            }
            Promise<Void> retried = Promise.promise();
            vertx.setTimer(retryDelay(attempt), t -> process(record, attempt + 1).onComplete(retried));
            return retried.future();
        });
    }

    private Future<Void> deadLetter(KafkaConsumerRecord<String, byte[]> record, String reason) {
        DeadLetter letter = DeadLetter.of(service, record.topic(), record.partition(), record.offset(), record.key(),
                record.value(), reason);
        return retryForever(() -> publisher.deadLetter(letter), "dead-letter record " + record.offset(), 1)
                .onSuccess(v -> listener.deadLettered());
    }

    /** Kafka itself unavailable: nothing else to fall back to, so keep trying without committing. */
    private Future<Void> retryForever(java.util.function.Supplier<Future<Void>> action, String what, int attempt) {
        return action.get().recover(failure -> {
            if (stopping) {
                return Future.failedFuture(failure);
            }
            LOG.warn("{}: cannot {} (attempt {}), retrying: {}", service, what, attempt, failure.toString());
            Promise<Void> retried = Promise.promise();
            vertx.setTimer(retryDelay(attempt), t -> retryForever(action, what, attempt + 1).onComplete(retried));
            return retried.future();
        });
    }

    private long retryDelay(int attempt) {
        long delay = options.firstRetryDelay().toMillis() << Math.min(attempt - 1, 10);
        return Math.min(delay, options.maxRetryDelay().toMillis());
    }

    private void finished(PartitionState st, KafkaConsumerRecord<String, byte[]> record) {
        running--;
        st.busy = false;
        st.lastDone = Math.max(st.lastDone, record.offset());
        if (st.owned) {
            commit(st.partition, record.offset() + 1);
        }
        if (!st.owned) {
            partitions.remove(st.partition);
        }
        if (stopping) {
            if (running == 0 && drained != null) {
                drained.tryComplete();
            }
            return;
        }
        drain();
    }

    private void resumeIfIdle(PartitionState st) {
        if (st.owned && st.paused && !st.busy && st.queue.isEmpty()) {
            st.paused = false;
            consumer.resume(st.partition);
        }
    }

    private void commit(TopicPartition tp, long nextOffset) {
        consumer.commit(Map.of(tp, new OffsetAndMetadata(nextOffset, service)))
                .onFailure(e -> LOG.warn("{}: commit of {} at {} failed ({}); the record may be redelivered and the "
                        + "job's idempotency absorbs it", service, tp, nextOffset, e.toString()));
    }

    private void onRevoked(Set<TopicPartition> revoked) {
        for (TopicPartition tp : revoked) {
            PartitionState st = partitions.get(tp);
            if (st == null) {
                continue;
            }
            st.owned = false;
            st.paused = false;
            st.queue.clear(); // the next owner reads them again from the committed offset
            if (!st.busy) {
                partitions.remove(tp);
            }
        }
        if (!revoked.isEmpty()) {
            LOG.info("{}: partitions revoked: {}", service, revoked);
        }
    }

    private void onAssigned(Set<TopicPartition> assigned) {
        for (TopicPartition tp : assigned) {
            PartitionState st = partitions.get(tp);
            if (st != null && st.busy) {
                // Got back a partition whose job still runs here: hold new records until it ends,
                // then skip the redelivered ones it already covered.
                st.owned = true;
                st.paused = true;
                consumer.pause(tp);
            }
        }
        if (!assigned.isEmpty()) {
            LOG.info("{}: partitions assigned: {}", service, assigned);
        }
    }
}
