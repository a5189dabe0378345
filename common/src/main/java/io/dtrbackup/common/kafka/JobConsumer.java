package io.dtrbackup.common.kafka;

import io.dtrbackup.contract.events.BackupEvent;
import io.dtrbackup.contract.events.DeadLetter;
import io.dtrbackup.contract.events.EventCodec;
import io.dtrbackup.contract.events.MalformedEventException;
import io.dtrbackup.common.log.BackupLog;
import io.dtrbackup.contract.topics.Topic;
import io.dtrbackup.common.util.Retry;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Deque;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;
import org.apache.kafka.clients.consumer.CloseOptions;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRebalanceListener;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.CooperativeStickyAssignor;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.RebalanceInProgressException;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
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
 * <li>a rebalance never makes a record's job run on two members at once: a partition that moves
 * away is released only after its running job finished and its offset was committed (bounded by
 * {@link Options#revokeTimeout()}, see below).</li>
 * </ul>
 *
 * <h2>Threads</h2>
 * One dedicated poll thread per consumer owns a plain {@link KafkaConsumer} (not thread-safe):
 * every poll, pause, resume and commit happens there. Jobs run on the Vert.x context that called
 * {@link #start()}, exactly as a Vert.x handler would; when one ends, the context hands the
 * outcome to the poll thread through a queue and wakes it ({@link KafkaConsumer#wakeup()}), and
 * the poll thread commits and starts the partition's next record.
 *
 * <h2>Rebalances</h2>
 * The group uses the cooperative-sticky assignor, so only partitions that move are revoked and the
 * others keep working. The rebalance listener runs on the poll thread inside {@code poll()},
 * before the member gives a partition up: {@code onPartitionsRevoked} drops the partition's queued
 * records, waits for its running job to end, commits its offset synchronously, and only then
 * returns, so the next owner starts after the finished record. The wait is bounded by
 * {@link Options#revokeTimeout()} (default {@value Options#DEFAULT_REVOKE_TIMEOUT_MINUTES} min), which
 * must stay below {@code max.poll.interval.ms} (the rebalance timeout; default here
 * {@value #DEFAULT_MAX_POLL_INTERVAL_MINUTES} min, a longer revoke timeout is cut to 14/15 of it):
 * past it the group would evict the member. A job that outlives the wait is logged at ERROR with
 * its backup ID and the partition is released anyway: the record may then run again on the new
 * owner while it still runs here, and the job's idempotency record absorbs the duplicate; its late
 * outcome is not committed here. {@code onPartitionsLost} (the member fell out of the group) commits
 * nothing: the partitions already belong to someone else.
 */
public final class JobConsumer<E extends BackupEvent> {
    private static final Logger LOG = LoggerFactory.getLogger(JobConsumer.class);

    /** Default {@code max.poll.interval.ms} (= the classic protocol's rebalance timeout), in minutes. */
    public static final long DEFAULT_MAX_POLL_INTERVAL_MINUTES = 15;
    /** How long the poll thread waits in poll() when nothing wakes it; bounds how late it sees a stop. */
    private static final Duration POLL_TIMEOUT = Duration.ofMillis(200);
    private static final Duration COMMIT_TIMEOUT = Duration.ofSeconds(15);
    private static final Duration CLOSE_TIMEOUT = Duration.ofSeconds(10);
    private static final long ERROR_BACKOFF_MS = 1_000;

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

    /**
     * Tunables with documented defaults.
     *
     * @param revokeTimeout how long a revoked partition waits for its running job before it is
     *        released anyway (default {@value #DEFAULT_REVOKE_TIMEOUT_MINUTES} min; cut to 14/15 of
     *        {@code max.poll.interval.ms} if longer)
     */
    public record Options(int maxConcurrentJobs, int maxAttempts, Duration firstRetryDelay, Duration maxRetryDelay,
            Duration revokeTimeout) {
        public static final long DEFAULT_REVOKE_TIMEOUT_MINUTES = 14;
        public static final Duration DEFAULT_REVOKE_TIMEOUT = Duration.ofMinutes(DEFAULT_REVOKE_TIMEOUT_MINUTES);

        public Options {
            Objects.requireNonNull(revokeTimeout, "revokeTimeout");
            if (revokeTimeout.isNegative()) {
                throw new IllegalArgumentException("revokeTimeout must not be negative");
            }
        }

        /** With the default revoke timeout. */
        public Options(int maxConcurrentJobs, int maxAttempts, Duration firstRetryDelay, Duration maxRetryDelay) {
            this(maxConcurrentJobs, maxAttempts, firstRetryDelay, maxRetryDelay, DEFAULT_REVOKE_TIMEOUT);
        }

        public static Options defaults(int maxConcurrentJobs) {
            return new Options(maxConcurrentJobs, 5, Duration.ofSeconds(1), Duration.ofSeconds(30));
        }

        public Options withRevokeTimeout(Duration timeout) {
            return new Options(maxConcurrentJobs, maxAttempts, firstRetryDelay, maxRetryDelay, timeout);
        }
    }

    /** One job started for a record. The context writes the decoded IDs; the poll thread reads them for logs. */
    private static final class Run {
        final PartitionState owner;
        final ConsumerRecord<String, byte[]> record;
        volatile String backupId;
        volatile String clusterId;

        Run(PartitionState owner, ConsumerRecord<String, byte[]> record) {
            this.owner = owner;
            this.record = record;
        }

        String describe() {
            return (backupId == null ? "key " + record.key() : "backup " + backupId) + " (record " + record.topic() + "-"
                    + record.partition() + "@" + record.offset() + ")";
        }
    }

    /** A job's end, handed from the context to the poll thread. {@code done}: it reached an outcome. */
    private record Finished(Run run, boolean done) {
    }

    /** A partition while this member owns it; a new instance per assignment. Poll thread only. */
    private static final class PartitionState {
        final TopicPartition partition;
        final Deque<ConsumerRecord<String, byte[]>> queue = new ArrayDeque<>();
        boolean paused;
        Run current;

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
    /** A failed job: retried up to {@code maxAttempts}, then dead-lettered. */
    private final Retry jobRetry;
    /** Kafka itself unavailable: the same back-off, without a bound. */
    private final Retry kafkaRetry;
    private final Duration revokeWait;
    private volatile Listener listener = NO_LISTENER;

    // Shared between the context and the poll thread.
    private final BlockingQueue<Finished> finished = new LinkedBlockingQueue<>();
    private final AtomicInteger running = new AtomicInteger();
    private volatile KafkaConsumer<String, byte[]> consumer;
    private volatile boolean stopping;
    private volatile boolean closing;
    private volatile long stopDeadline;
    private Context context;
    private Thread pollThread;
    private Promise<Void> stopped;

    // Poll thread only.
    private final Map<TopicPartition, PartitionState> partitions = new LinkedHashMap<>();
    /** Jobs still running for partitions this member gave up (revoke timeout, lost): their partition waits. */
    private final Map<TopicPartition, Run> leftovers = new HashMap<>();
    private final Map<TopicPartition, OffsetAndMetadata> pendingCommits = new HashMap<>();
    private boolean draining;

    public JobConsumer(Vertx vertx, String service, Topic topic, Class<E> eventType, Map<String, String> consumerConfig,
            EventPublisher publisher, Options options, Job<E> job) {
        this.vertx = vertx;
        this.service = service;
        this.topic = topic;
        this.eventType = eventType;
        this.consumerConfig = consumerConfig;
        this.publisher = publisher;
        this.options = options;
        this.jobRetry = new Retry(Math.max(1, options.maxAttempts()), options.firstRetryDelay(), options.maxRetryDelay());
        this.kafkaRetry = Retry.forever(options.firstRetryDelay(), options.maxRetryDelay());
        this.job = job;
        this.revokeWait = revokeWait(options.revokeTimeout(), maxPollInterval(consumerConfig));
    }

    /**
     * Starts the poll thread; the future completes on the caller's context once the consumer is
     * subscribed (it joins the group on its first poll).
     */
    public Future<Void> start() {
        if (pollThread != null) {
            throw new IllegalStateException("already started");
        }
        context = vertx.getOrCreateContext();
        Promise<Void> started = Promise.promise();
        stopped = Promise.promise();
        pollThread = new Thread(() -> pollThread(started), "job-consumer-" + service + "-" + topic.name());
        pollThread.setDaemon(true);
        pollThread.start();
        return started.future().onSuccess(v -> LOG.info("{}: consuming {} as group {} (max {} concurrent jobs, a revoked "
                + "partition waits up to {} for its job)", service, topic, groupId(), options.maxConcurrentJobs(), revokeWait));
    }

    /** Stops taking new records, lets running jobs finish (up to the timeout), commits them, then closes. */
    public Future<Void> stop(Duration timeout) {
        if (pollThread == null) {
            return Future.succeededFuture();
        }
        if (!stopping) {
            stopDeadline = System.nanoTime() + timeout.toNanos();
            stopping = true;
            wake();
        }
        return stopped.future();
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

    /** Jobs running now (including any whose partition already moved away); for metrics and tests. Thread-safe. */
    public int runningJobs() {
        return running.get();
    }

    /** The effective revoke wait: {@link Options#revokeTimeout()}, cut below max.poll.interval.ms. */
    public Duration revokeWait() {
        return revokeWait;
    }

    // ---------------------------------------------------------------- configuration

    /** The Kafka consumer's config: the caller's, plus what this class relies on. */
    private Map<String, Object> kafkaConfig() {
        Map<String, Object> config = new HashMap<>(consumerConfig);
        // Offsets are committed here, after the job: never by the client on its own.
        config.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
        config.putIfAbsent(ConsumerConfig.MAX_POLL_INTERVAL_MS_CONFIG,
                String.valueOf(Duration.ofMinutes(DEFAULT_MAX_POLL_INTERVAL_MINUTES).toMillis()));
        // Only moving partitions are revoked, and only those wait for their jobs. The consumer
        // (KIP-848) protocol assigns on the broker and refuses a client-side assignor.
        if (!"consumer".equalsIgnoreCase(String.valueOf(config.get(ConsumerConfig.GROUP_PROTOCOL_CONFIG)))) {
            config.putIfAbsent(ConsumerConfig.PARTITION_ASSIGNMENT_STRATEGY_CONFIG, CooperativeStickyAssignor.class.getName());
        }
        return config;
    }

    private static Duration maxPollInterval(Map<String, String> config) {
        String value = config.get(ConsumerConfig.MAX_POLL_INTERVAL_MS_CONFIG);
        if (value == null) {
            return Duration.ofMinutes(DEFAULT_MAX_POLL_INTERVAL_MINUTES);
        }
        try {
            return Duration.ofMillis(Long.parseLong(value.trim()));
        } catch (NumberFormatException e) {
            return Duration.ofMinutes(DEFAULT_MAX_POLL_INTERVAL_MINUTES); // the client rejects it at start
        }
    }

    /**
     * The longest revoke wait a consumer config allows: 14/15 of its {@code max.poll.interval.ms}
     * (14 min with the default 15). A service passes it as {@link Options#withRevokeTimeout}, so an
     * operator who raises {@code max.poll.interval.ms} in the Kafka properties file raises both.
     */
    public static Duration revokeTimeoutFor(Map<String, String> consumerConfig) {
        Duration maxPollInterval = maxPollInterval(consumerConfig);
        return maxPollInterval.minus(maxPollInterval.dividedBy(15));
    }

    /** Past max.poll.interval.ms the member is evicted mid-wait, so the wait stays clear of it. */
    private Duration revokeWait(Duration wanted, Duration maxPollInterval) {
        Duration limit = maxPollInterval.minus(maxPollInterval.dividedBy(15));
        if (wanted.compareTo(limit) > 0) {
            LOG.warn("{}: revoke timeout {} is not below max.poll.interval.ms {}; using {}", service, wanted,
                    maxPollInterval, limit);
            return limit;
        }
        return wanted;
    }

    // ---------------------------------------------------------------- poll thread

    private void pollThread(Promise<Void> started) {
        try {
            KafkaConsumer<String, byte[]> created = new KafkaConsumer<>(kafkaConfig(), new StringDeserializer(),
                    new ByteArrayDeserializer());
            consumer = created;
            created.subscribe(List.of(topic.name()), new RebalanceListener());
        } catch (RuntimeException e) {
            LOG.error("{}: cannot create the consumer of {}: {}", service, topic, e.toString());
            closeQuietly();
            context.runOnContext(v -> {
                started.fail(e);
                stopped.complete();
            });
            return;
        }
        context.runOnContext(v -> started.complete());
        try {
            loop();
        } catch (Throwable t) {
            LOG.error("{}: consumer of {} stopped on an unexpected error; its partitions go to other members", service,
                    topic, t);
        } finally {
            close();
            context.runOnContext(v -> stopped.complete());
        }
    }

    private void loop() {
        while (true) {
            if (stopping) {
                if (!draining) {
                    beginDrain();
                }
                if ((running.get() == 0 && pendingCommits.isEmpty()) || System.nanoTime() - stopDeadline >= 0) {
                    return;
                }
            }
            ConsumerRecords<String, byte[]> records = poll();
            for (ConsumerRecord<String, byte[]> record : records) {
                accept(record);
            }
            handleFinished();
            commitPending();
            dispatch();
        }
    }

    private ConsumerRecords<String, byte[]> poll() {
        try {
            return consumer.poll(POLL_TIMEOUT);
        } catch (WakeupException e) {
            return ConsumerRecords.empty(); // a job ended or stop was asked: look at the queue
        } catch (KafkaException e) {
            LOG.warn("{}: consumer error on {}: {}", service, topic, e.toString());
            awaitFinished(TimeUnit.MILLISECONDS.toNanos(ERROR_BACKOFF_MS));
            return ConsumerRecords.empty();
        }
    }

    private void accept(ConsumerRecord<String, byte[]> record) {
        // The client only returns records of assigned partitions, so a missing state is a bug; taking
        // the record (rather than dropping it) keeps it from being committed past unprocessed.
        PartitionState st = partitions.computeIfAbsent(new TopicPartition(record.topic(), record.partition()),
                PartitionState::new);
        pause(st);
        if (stopping) {
            return; // never committed past: the next owner reads it again
        }
        st.queue.add(record);
    }

    private void dispatch() {
        if (stopping) {
            return;
        }
        for (PartitionState st : new ArrayList<>(partitions.values())) {
            if (st.current != null || leftovers.containsKey(st.partition)) {
                continue;
            }
            if (st.queue.isEmpty()) {
                if (st.paused) {
                    consumer.resume(List.of(st.partition));
                    st.paused = false;
                }
                continue;
            }
            if (running.get() < options.maxConcurrentJobs()) {
                start(st, st.queue.poll());
            }
        }
    }

    private void start(PartitionState st, ConsumerRecord<String, byte[]> record) {
        Run run = new Run(st, record);
        st.current = run;
        // To the back of the line, so with more busy partitions than job slots each gets its turn.
        partitions.remove(st.partition);
        partitions.put(st.partition, st);
        running.incrementAndGet();
        context.runOnContext(v -> process(record, 1, run).onComplete(ar -> {
            finished.add(new Finished(run, ar.succeeded()));
            wake();
        }));
    }

    private void handleFinished() {
        Finished f;
        while ((f = finished.poll()) != null) {
            handle(f);
        }
    }

    /** Waits up to the given time for one job to end, and handles it. */
    private void awaitFinished(long nanos) {
        try {
            Finished f = finished.poll(nanos, TimeUnit.NANOSECONDS);
            if (f != null) {
                handle(f);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private void handle(Finished f) {
        running.decrementAndGet();
        Run run = f.run();
        TopicPartition tp = run.owner.partition;
        if (partitions.get(tp) == run.owner && run.owner.current == run) {
            run.owner.current = null;
            if (f.done()) {
                pendingCommits.put(tp, new OffsetAndMetadata(run.record.offset() + 1, service));
            }
            // Not done only when stopping with Kafka unusable: not committed, so redelivered.
            return;
        }
        leftovers.remove(tp, run);
        try (var ignored = BackupLog.scope(run.backupId, run.clusterId)) {
            LOG.warn("{}: job for {} ended after its partition left this member; not committed here (the partition's "
                    + "owner runs the record itself)", service, run.describe());
        }
    }

    private void commitPending() {
        if (!pendingCommits.isEmpty() && commitSync(Map.copyOf(pendingCommits))) {
            pendingCommits.clear();
        }
    }

    /** Commits on the poll thread; false if it must be retried after the next poll. */
    private boolean commitSync(Map<TopicPartition, OffsetAndMetadata> offsets) {
        while (true) {
            try {
                consumer.commitSync(offsets, COMMIT_TIMEOUT);
                return true;
            } catch (WakeupException e) {
                // A job ended meanwhile; the wakeup is used up, the commit is still wanted.
            } catch (RebalanceInProgressException e) {
                LOG.debug("{}: commit of {} waits for the rebalance to finish", service, offsets);
                return false;
            } catch (KafkaException e) {
                LOG.warn("{}: commit of {} failed ({}); retrying after the next poll", service, offsets, e.toString());
                return false;
            }
        }
    }

    private void pause(PartitionState st) {
        if (!st.paused) {
            consumer.pause(List.of(st.partition));
            st.paused = true;
        }
    }

    private void beginDrain() {
        draining = true;
        for (PartitionState st : partitions.values()) {
            st.queue.clear(); // not started, so never committed past: the next owner reads them again
            pause(st);
        }
    }

    private void wake() {
        KafkaConsumer<String, byte[]> c = consumer;
        if (c != null && !closing) {
            c.wakeup();
        }
    }

    private void close() {
        closing = true;
        KafkaConsumer<String, byte[]> c = consumer;
        if (c == null) {
            return;
        }
        handleFinished();
        commitPending();
        if (running.get() > 0) {
            LOG.warn("{}: closing with {} job(s) still running; their records will be redelivered", service,
                    running.get());
        }
        closeQuietly();
    }

    private void closeQuietly() {
        closing = true;
        KafkaConsumer<String, byte[]> c = consumer;
        if (c != null) {
            try {
                c.close(CloseOptions.timeout(CLOSE_TIMEOUT)); // runs onPartitionsRevoked: commits what is done
            } catch (RuntimeException e) {
                LOG.warn("{}: closing the consumer of {} failed: {}", service, topic, e.toString());
            }
        }
    }

    /** Runs inside poll() (and close()) on the poll thread. Must not throw: the client would fail the poll. */
    private final class RebalanceListener implements ConsumerRebalanceListener {
        @Override
        public void onPartitionsAssigned(Collection<TopicPartition> assigned) {
            for (TopicPartition tp : assigned) {
                PartitionState st = partitions.computeIfAbsent(tp, PartitionState::new);
                if (stopping) {
                    pause(st);
                }
            }
            if (!assigned.isEmpty()) {
                LOG.info("{}: partitions assigned: {}", service, assigned);
            }
        }

        @Override
        public void onPartitionsRevoked(Collection<TopicPartition> revoked) {
            if (revoked.isEmpty()) {
                return;
            }
            try {
                revoke(revoked);
            } catch (RuntimeException e) {
                LOG.error("{}: handling the revocation of {} failed", service, revoked, e);
            }
        }

        @Override
        public void onPartitionsLost(Collection<TopicPartition> lost) {
            // Already someone else's: committing now could move their offset, so nothing is committed.
            int stillRunning = 0;
            for (TopicPartition tp : lost) {
                pendingCommits.remove(tp);
                PartitionState st = partitions.remove(tp);
                if (st != null && st.current != null) {
                    leftovers.put(tp, st.current);
                    stillRunning++;
                }
            }
            if (!lost.isEmpty()) {
                LOG.warn("{}: partitions lost (this member fell out of the group): {}; nothing committed for them; {} "
                        + "job(s) on them still run here and their records may run again elsewhere", service, lost,
                        stillRunning);
            }
        }
    }

    private void revoke(Collection<TopicPartition> revoked) {
        List<PartitionState> states = new ArrayList<>();
        for (TopicPartition tp : revoked) {
            PartitionState st = partitions.get(tp);
            if (st != null) {
                st.queue.clear(); // not started: the next owner reads them from the committed offset
                states.add(st);
            }
        }
        long wait = closing ? 0 : revokeWait.toNanos();
        if (stopping) {
            wait = Math.min(wait, Math.max(0, stopDeadline - System.nanoTime()));
        }
        long busy = states.stream().filter(st -> st.current != null).count();
        if (busy > 0 && wait > 0) {
            LOG.info("{}: partitions revoked: {}; waiting up to {} for {} running job(s) before releasing them", service,
                    revoked, Duration.ofNanos(wait), busy);
        } else {
            LOG.info("{}: partitions revoked: {}", service, revoked);
        }
        long deadline = System.nanoTime() + wait;
        while (states.stream().anyMatch(st -> st.current != null)) {
            long left = deadline - System.nanoTime();
            if (left <= 0 || Thread.currentThread().isInterrupted()) {
                break;
            }
            awaitFinished(left);
        }
        handleFinished();
        // Commit before returning: the next owner starts from this offset.
        Map<TopicPartition, OffsetAndMetadata> toCommit = Map.copyOf(pendingCommits);
        if (!toCommit.isEmpty()) {
            if (commitSync(toCommit)) {
                pendingCommits.clear();
            } else {
                LOG.warn("{}: could not commit {} before releasing {}; finished records there may run again on the "
                        + "next owner", service, toCommit, revoked);
            }
        }
        for (PartitionState st : states) {
            partitions.remove(st.partition);
            pendingCommits.remove(st.partition); // never commit for a partition this member no longer owns
            Run run = st.current;
            if (run == null) {
                continue;
            }
            leftovers.put(st.partition, run);
            try (var ignored = BackupLog.scope(run.backupId, run.clusterId)) {
                if (closing || stopping) {
                    LOG.warn("{}: releasing {} while the job for {} still runs (stopping); the record will run again on "
                            + "the next owner", service, st.partition, run.describe());
                } else {
                    LOG.error("{}: job for {} still runs {} after its partition was revoked; releasing the partition "
                            + "anyway (beyond max.poll.interval.ms the group would evict this member). The record may "
                            + "now run again on the next owner, where the job's idempotency record absorbs the "
                            + "duplicate; raise the revoke timeout and max.poll.interval.ms if jobs take this long",
                            service, run.describe(), revokeWait);
                }
            }
        }
    }

    // ---------------------------------------------------------------- context: the jobs

    /** Runs one record to an outcome: job done, or record dead-lettered. Only fails if Kafka is unusable. */
    private Future<Void> process(ConsumerRecord<String, byte[]> record, int attempt, Run run) {
        E event;
        try {
            event = EventCodec.decode(record.value(), eventType);
        } catch (MalformedEventException e) {
            LOG.warn("{}: record {}-{}@{} is not a valid {}: {}; sent to the dead-letter topic", service, record.topic(),
                    record.partition(), record.offset(), eventType.getSimpleName(), e.getMessage());
            return deadLetter(record, e.getMessage());
        }
        run.backupId = event.backupId();
        run.clusterId = event.clusterId();
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
                if (jobRetry.exhausted(attempt)) {
                    LOG.error("{}: job for {} failed {} times, last: {}; sent to the dead-letter topic", service,
                            event.type(), attempt, failure.toString());
                    return deadLetter(record, "job failed " + attempt + " times, last error: " + failure.getMessage());
                }
                long delay = jobRetry.delayMillis(attempt);
                LOG.warn("{}: job for {} failed (retry {} of {} in {} ms): {}", service, event.type(), attempt,
                        jobRetry.retries(), delay, failure.toString());
            }
            Promise<Void> retried = Promise.promise();
            vertx.setTimer(jobRetry.delayMillis(attempt), t -> process(record, attempt + 1, run).onComplete(retried));
            return retried.future();
        });
    }

    private Future<Void> deadLetter(ConsumerRecord<String, byte[]> record, String reason) {
        DeadLetter letter = DeadLetter.of(service, record.topic(), record.partition(), record.offset(), record.key(),
                record.value(), reason);
        return retryForever(() -> publisher.deadLetter(letter), "dead-letter record " + record.offset(), 1)
                .onSuccess(v -> listener.deadLettered());
    }

    /** Kafka itself unavailable: nothing else to fall back to, so keep trying without committing. */
    private Future<Void> retryForever(Supplier<Future<Void>> action, String what, int attempt) {
        return action.get().recover(failure -> {
            if (stopping) {
                return Future.failedFuture(failure);
            }
            LOG.warn("{}: cannot {} (attempt {}), retrying: {}", service, what, attempt, failure.toString());
            Promise<Void> retried = Promise.promise();
            vertx.setTimer(kafkaRetry.delayMillis(attempt), t -> retryForever(action, what, attempt + 1).onComplete(retried));
            return retried.future();
        });
    }
}
