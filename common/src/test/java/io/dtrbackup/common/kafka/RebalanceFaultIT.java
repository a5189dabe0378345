package io.dtrbackup.common.kafka;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import io.dtrbackup.contract.events.BackupOptions;
import io.dtrbackup.contract.events.BackupRequested;
import io.dtrbackup.contract.events.EventCodec;
import io.dtrbackup.contract.events.Trigger;
import io.dtrbackup.common.log.BackupLog;
import io.dtrbackup.contract.topics.Topic;
import io.dtrbackup.contract.topics.Topics;
import io.dtrbackup.testsupport.EmbeddedKafka;
import io.dtrbackup.testsupport.KafkaExtension;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.Callable;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.slf4j.LoggerFactory;

/**
 * Fault injection (issue 9): consumer-group rebalances while long jobs run, on the real KRaft
 * broker. Members join mid-job, one crashes (its process is killed mid-job), one leaves
 * gracefully mid-job. Every job run is recorded with its member and start/end times. The crash is a
 * SIGKILL of a member's own JVM, so the group learns of it only when its session times out.
 */
@ExtendWith(KafkaExtension.class)
class RebalanceFaultIT {
    private static final org.slf4j.Logger LOG = LoggerFactory.getLogger(RebalanceFaultIT.class);
    private static final int PARTITIONS = 4;
    /** Enough work that A still has jobs running after B's session timed out and its partitions moved. */
    private static final int PER_PARTITION = 20;
    private static final long JOB_MS = 1_200;
    private static final Duration PHASE = Duration.ofSeconds(60);
    /** Of every member: a member that dies is noticed this long after its last heartbeat. */
    private static final long SESSION_TIMEOUT_MS = 10_000;

    private final EmbeddedKafka kafka;
    private final List<Run> runs = new CopyOnWriteArrayList<>();
    private final List<String> violations = new CopyOnWriteArrayList<>();
    private final List<Member> members = new ArrayList<>();
    private final List<ProcessMember> processMembers = new ArrayList<>();
    private String topicName;
    private Topic topic;
    private String group;

    RebalanceFaultIT(EmbeddedKafka kafka) {
        this.kafka = kafka;
    }

    /** One job run: which member ran which record, when, and how it ended. */
    static final class Run {
        final String member;
        final int partition;
        final long offset;
        final String backupId;
        final long start;
        long end = Long.MAX_VALUE;
        boolean completed;
        boolean aborted;

        Run(String member, int partition, long offset, String backupId) {
            this(member, partition, offset, backupId, System.nanoTime());
        }

        /** @param start System.nanoTime() when the job started, in this process or a member's own */
        Run(String member, int partition, long offset, String backupId, long start) {
            this.member = member;
            this.partition = partition;
            this.offset = offset;
            this.backupId = backupId;
            this.start = start;
        }

        synchronized boolean complete() {
            return complete(System.nanoTime());
        }

        synchronized boolean complete(long at) {
            if (aborted) {
                return false;
            }
            completed = true;
            end = at;
            return true;
        }

        /** The process died: the job ends here without an outcome. */
        synchronized void abort() {
            abort(System.nanoTime());
        }

        synchronized void abort(long at) {
            if (!completed) {
                aborted = true;
                end = at;
            }
        }

        synchronized boolean inFlight() {
            return !completed && !aborted;
        }

        synchronized boolean isCompleted() {
            return completed;
        }

        synchronized long end() {
            return end;
        }

        @Override
        public synchronized String toString() {
            return member + " ran " + partition + "@" + offset + " [" + start + ".." + (end == Long.MAX_VALUE ? "running"
                    : end) + (aborted ? ", killed" : "") + "]";
        }
    }

    /** A group member: its own Vert.x instance (a separate process, as far as the job cares) and JobConsumer. */
    final class Member {
        final String name;
        final Vertx vertx = Vertx.vertx();
        final EventPublisher publisher;
        final JobConsumer<BackupRequested> consumer;

        Member(String name, JobConsumer.Options options, Function<Member, JobConsumer.Job<BackupRequested>> job) {
            this(name, options, Map.of(), job);
        }

        Member(String name, JobConsumer.Options options, Map<String, String> overrides,
                Function<Member, JobConsumer.Job<BackupRequested>> job) {
            this.name = name;
            KafkaSettings settings = KafkaSettings.of(kafka.bootstrapServers());
            Map<String, String> config = settings.consumer(group, "rebalance-it-" + name + "-" + UUID.randomUUID());
            // Members notice a rebalance within half a second, so phases follow each other quickly.
            config.put("session.timeout.ms", String.valueOf(SESSION_TIMEOUT_MS));
            config.put("heartbeat.interval.ms", "500");
            config.putAll(overrides);
            publisher = EventPublisher.create(vertx, settings, "rebalance-it");
            consumer = new JobConsumer<>(vertx, "rebalance-it-" + name, topic, BackupRequested.class, config, publisher,
                    options, job.apply(this));
            members.add(this);
        }

        Member start() throws Exception {
            consumer.start().await(30, TimeUnit.SECONDS);
            return this;
        }

        /** A job that takes JOB_MS on a timer, recorded in {@link #runs}. */
        JobConsumer.Job<BackupRequested> timedJob() {
            return (event, origin) -> {
                Run run = new Run(name, origin.partition(), origin.offset(), event.backupId());
                runs.add(run);
                Promise<Void> done = Promise.promise();
                vertx.setTimer(JOB_MS, t -> {
                    if (run.complete()) {
                        done.complete();
                    }
                });
                return done.future();
            };
        }

        void close() throws Exception {
            consumer.stop(Duration.ofSeconds(30)).await(40, TimeUnit.SECONDS);
            vertx.close().await(30, TimeUnit.SECONDS);
        }
    }

    /**
     * A member in a JVM of its own ({@link RebalanceMemberProcess}) running {@link Member#timedJob}'s
     * job, so it can crash for real: SIGKILL runs no code, so no LeaveGroup, no drain, no commit, and
     * its partitions move only when the broker's session timeout expires.
     */
    final class ProcessMember implements AutoCloseable {
        final String name;
        final Process process;
        private final java.io.Writer toMember;
        private final Thread reader;
        private final java.util.concurrent.CountDownLatch ready = new java.util.concurrent.CountDownLatch(1);
        private final List<String> output = new CopyOnWriteArrayList<>();
        volatile long killedAt;
        volatile long deadAt;

        ProcessMember(String name, int maxJobs) throws Exception {
            this.name = name;
            process = new ProcessBuilder(java.nio.file.Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                    "-Xmx256m", "-cp", System.getProperty("java.class.path"), RebalanceMemberProcess.class.getName(),
                    kafka.bootstrapServers(), topicName, group, name, String.valueOf(JOB_MS), String.valueOf(maxJobs),
                    String.valueOf(SESSION_TIMEOUT_MS), "500").redirectErrorStream(true).start();
            processMembers.add(this);
            toMember = new java.io.OutputStreamWriter(process.getOutputStream(), java.nio.charset.StandardCharsets.UTF_8);
            reader = new Thread(this::read, "rebalance-it-" + name + "-stdout");
            reader.setDaemon(true);
            reader.start();
            if (!ready.await(60, TimeUnit.SECONDS)) {
                throw new AssertionError("member " + name + " did not start; its output: " + output);
            }
        }

        private void read() {
            try (var lines = new java.io.BufferedReader(new java.io.InputStreamReader(process.getInputStream(),
                    java.nio.charset.StandardCharsets.UTF_8))) {
                for (String line; (line = lines.readLine()) != null; ) {
                    if (!line.startsWith("RUN ")) {
                        output.add(line);
                        continue;
                    }
                    String[] f = line.split(" ");
                    switch (f[1]) {
                        case "READY" -> ready.countDown();
                        case "START" -> runs.add(new Run(name, Integer.parseInt(f[2]), Long.parseLong(f[3]), f[5],
                                Long.parseLong(f[4])));
                        case "DONE" -> {
                            int partition = Integer.parseInt(f[2]);
                            long offset = Long.parseLong(f[3]);
                            Run run = runs.stream().filter(r -> r.member.equals(name) && r.partition == partition
                                    && r.offset == offset && r.inFlight()).findFirst().orElse(null);
                            if (run == null) {
                                output.add("no running job for " + line);
                                continue;
                            }
                            run.complete(Long.parseLong(f[4]));
                            // Recorded: now the member may finish the job and commit it.
                            toMember.write("ACK " + partition + " " + offset + "\n");
                            toMember.flush();
                        }
                        default -> output.add(line);
                    }
                }
            } catch (java.io.IOException e) {
                // the process died: its pipes broke
            }
        }

        /** SIGKILL; returns once the process is gone. Its running jobs end at that moment, without an outcome. */
        void kill() throws Exception {
            killedAt = System.nanoTime();
            process.destroyForcibly();
            assertThat(process.waitFor(30, TimeUnit.SECONDS)).as("member %s died of SIGKILL", name).isTrue();
            reader.join(10_000);
            deadAt = System.nanoTime();
            runs.stream().filter(r -> r.member.equals(name)).forEach(r -> r.abort(deadAt));
        }

        @Override
        public void close() throws Exception {
            if (process.isAlive()) {
                process.destroyForcibly();
                process.waitFor(30, TimeUnit.SECONDS);
            }
        }
    }

    @BeforeEach
    void setUp() {
        topicName = "rebalance-" + UUID.randomUUID();
        group = "rebalance-group-" + UUID.randomUUID();
        kafka.createTopic(topicName, PARTITIONS, Map.of());
        kafka.createTopic(Topics.DEAD_LETTER, 1, Map.of());
        topic = new Topic(topicName, Topic.KeyedBy.BACKUP, Set.of(BackupRequested.class), Map.of(), "rebalance jobs");
    }

    @AfterEach
    void tearDown() throws Exception {
        for (ProcessMember m : processMembers) {
            m.close();
        }
        for (Member m : members) {
            m.close();
        }
    }

    @Test
    void membersJoiningCrashingAndLeavingMidJobNeverRunARecordTwiceAtOnceAndLoseNoOffset() throws Exception {
        produce(PER_PARTITION, p -> "bk-" + p + "-");
        JobConsumer.Options options = new JobConsumer.Options(PARTITIONS, 3, Duration.ofMillis(100),
                Duration.ofMillis(300));
        Map<TopicPartition, OffsetAndMetadata> committedAtDeath;
        long handoverNanos;
        try (Admin admin = kafka.admin()) {
            Member a = member("A", options).start();
            awaitChecking(admin, () -> inFlight("A") >= 2);

            // B, a process of its own, joins while A's jobs run: the partitions moving to B must wait for them.
            ProcessMember b = new ProcessMember("B", PARTITIONS);
            awaitChecking(admin, () -> started("B") >= 1);

            // C joins while A and B have jobs running; the group settles before B dies.
            member("C", options).start();
            awaitChecking(admin, () -> started("C") >= 1 && inFlight("B") >= 1 && stable(admin, 3));

            // B is killed mid-job: no leave, no drain. Its records must run again elsewhere, not before
            // it died, and only once the broker gave up on its session.
            b.kill();
            committedAtDeath = committedOffsets(admin);
            List<Run> killed = runs.stream().filter(r -> r.member.equals("B") && r.aborted).toList();
            assertThat(killed).as("jobs killed with B").isNotEmpty();
            awaitChecking(admin, () -> killed.stream().allMatch(k -> ranElsewhere(k, b.killedAt)));
            handoverNanos = killed.stream().mapToLong(k -> firstRunElsewhere(k, b.killedAt).start - b.killedAt).min()
                    .orElseThrow();
            LOG.info("B's killed records ran elsewhere {} ms after the kill", TimeUnit.NANOSECONDS.toMillis(handoverNanos));

            // A leaves gracefully mid-job: it drains, commits, and only then gives up its partitions.
            awaitChecking(admin, () -> inFlight("A") >= 1);
            Future<Void> aGone = a.consumer.stop(Duration.ofSeconds(30));
            awaitChecking(admin, () -> aGone.isComplete() && allCompleted() && committedToEnd(admin));
        }

        assertThat(violations).as("committed offsets past unfinished jobs").isEmpty();
        assertThat(overlaps()).as("runs of one record overlapping in time on two members").isEmpty();
        assertThat(allCompleted()).as("every record's job completed").isTrue();
        // Heartbeats go every 500 ms, so the session ends at most that long after the kill; a member
        // that left (LeaveGroup) hands over within about a second.
        assertThat(Duration.ofNanos(handoverNanos)).as("time from B's SIGKILL to its killed records running elsewhere: "
                + "the session timeout (%d ms) must have expired first, B never left; runs: %s", SESSION_TIMEOUT_MS, runs)
                .isGreaterThanOrEqualTo(Duration.ofMillis(SESSION_TIMEOUT_MS - 1_000));

        Map<String, Long> completedBy = new java.util.TreeMap<>();
        runs.stream().filter(Run::isCompleted).forEach(r -> completedBy.merge(r.member, 1L, Long::sum));
        assertThat(completedBy.getOrDefault("A", 0L)).as("jobs A completed; runs: %s", runs).isPositive();
        assertThat(started("B")).as("jobs B started; runs: %s", runs).isPositive();
        assertThat(completedBy.getOrDefault("C", 0L)).as("jobs C completed; runs: %s", runs).isPositive();
        // Each record completes once, except one B completed but had not committed when it died: the
        // next owner runs it again (at-least-once; the job's idempotency record absorbs it).
        Set<String> mayRepeat = new java.util.HashSet<>();
        runs.stream().filter(r -> r.member.equals("B") && r.isCompleted()).filter(r -> {
            OffsetAndMetadata c = committedAtDeath.get(new TopicPartition(topicName, r.partition));
            return c == null || r.offset >= c.offset();
        }).forEach(r -> mayRepeat.add(r.partition + "@" + r.offset));
        Map<String, Long> completions = new java.util.TreeMap<>();
        runs.stream().filter(Run::isCompleted).forEach(r -> completions.merge(r.partition + "@" + r.offset, 1L,
                Long::sum));
        Set<String> repeated = new java.util.TreeSet<>();
        completions.forEach((record, n) -> {
            if (n > 1) {
                repeated.add(record);
            }
        });
        assertThat(repeated).as("records completed more than once though their first completion was committed; "
                + "runs: %s", runs).isSubsetOf(mayRepeat);
        assertThat(completedBy.values().stream().mapToLong(Long::longValue).sum())
                .as("completed jobs over A, B and C: each record once, plus B's uncommitted ones again; %s", completedBy)
                .isEqualTo(PARTITIONS * PER_PARTITION + repeated.size());
    }

    /** Whether another member started the killed run's record after the kill. */
    private boolean ranElsewhere(Run killed, long killedAt) {
        return runs.stream().anyMatch(r -> !r.member.equals(killed.member) && r.partition == killed.partition
                && r.offset == killed.offset && r.start > killedAt);
    }

    private Run firstRunElsewhere(Run killed, long killedAt) {
        return runs.stream().filter(r -> !r.member.equals(killed.member) && r.partition == killed.partition
                && r.offset == killed.offset && r.start > killedAt).min(Comparator.comparingLong(r -> r.start))
                .orElseThrow();
    }

    /** The group is stable with this many members, each with partitions: no rebalance under way. */
    private boolean stable(Admin admin, int members) throws Exception {
        var description = admin.describeConsumerGroups(List.of(group)).describedGroups().get(group)
                .get(10, TimeUnit.SECONDS);
        return description.groupState() == org.apache.kafka.common.GroupState.STABLE
                && description.members().size() == members
                && description.members().stream().noneMatch(m -> m.assignment().topicPartitions().isEmpty());
    }

    @Test
    void aJobOutlivingTheRevokeTimeoutIsLoggedByBackupAndItsPartitionReleased() throws Exception {
        topicName = "rebalance-timeout-" + UUID.randomUUID();
        kafka.createTopic(topicName, 2, Map.of());
        topic = new Topic(topicName, Topic.KeyedBy.BACKUP, Set.of(BackupRequested.class), Map.of(), "rebalance jobs");
        // Per partition: a job A holds until the test releases it, then a quick one.
        produceTo(2, 2, (p, i) -> i == 0 ? "bk-stuck-" + p : "bk-quick-" + p);

        ListAppender<ILoggingEvent> log = new ListAppender<>();
        ch.qos.logback.classic.Logger logger = (ch.qos.logback.classic.Logger) LoggerFactory.getLogger(JobConsumer.class);
        log.start();
        logger.addAppender(log);
        Map<Integer, Promise<Void>> held = new ConcurrentHashMap<>();
        try (Admin admin = kafka.admin()) {
            JobConsumer.Options shortWait = new JobConsumer.Options(2, 3, Duration.ofMillis(100), Duration.ofMillis(300))
                    .withRevokeTimeout(Duration.ofSeconds(1));
            Member a = new Member("A", shortWait, m -> (event, origin) -> {
                Run run = new Run("A", origin.partition(), origin.offset(), event.backupId());
                runs.add(run);
                if (origin.offset() > 0) {
                    run.complete();
                    return Future.succeededFuture();
                }
                Promise<Void> done = Promise.promise();
                held.put(origin.partition(), done);
                return done.future().onSuccess(v -> run.complete());
            }).start();
            await().atMost(PHASE).until(() -> held.size() == 2);

            // B joins: one partition moves while A's job on it cannot finish within the revoke timeout.
            new Member("B", JobConsumer.Options.defaults(2), m -> (event, origin) -> {
                Run run = new Run("B", origin.partition(), origin.offset(), event.backupId());
                runs.add(run);
                run.complete();
                return Future.succeededFuture();
            }).start();
            await().atMost(PHASE).until(() -> runs.stream().anyMatch(r -> r.member.equals("B") && r.offset == 0));
            Run moved = runs.stream().filter(r -> r.member.equals("B") && r.offset == 0).findFirst().orElseThrow();
            int p = moved.partition;
            int kept = 1 - p;

            // Released after the timeout although A's job still runs: the documented duplicate run.
            Run stuck = runs.stream().filter(r -> r.member.equals("A") && r.partition == p && r.offset == 0).findFirst()
                    .orElseThrow();
            assertThat(stuck.inFlight()).as("A's job on the moved partition still runs").isTrue();
            ILoggingEvent error = log.list.stream().filter(e -> e.getLevel() == Level.ERROR).findFirst().orElseThrow(
                    () -> new AssertionError("no ERROR logged; log: " + log.list));
            assertThat(error.getFormattedMessage()).contains("bk-stuck-" + p).contains("still runs")
                    .contains("after its partition was revoked");
            assertThat(error.getMDCPropertyMap()).containsEntry(BackupLog.BACKUP_ID, "bk-stuck-" + p);
            await().atMost(PHASE).until(() -> committed(admin, p) == 2);

            // A's stuck jobs end: the one on the kept partition commits and A goes on with the
            // next record; the late one on the moved partition must not move B's offset back.
            a.vertx.runOnContext(v -> held.values().forEach(Promise::tryComplete));
            await().atMost(PHASE).until(() -> a.consumer.runningJobs() == 0 && committed(admin, kept) == 2);
            await().during(Duration.ofSeconds(1)).atMost(Duration.ofSeconds(5)).until(() -> committed(admin, p) == 2);
            assertThat(log.list.stream().map(ILoggingEvent::getFormattedMessage))
                    .anyMatch(m -> m.contains("bk-stuck-" + p) && m.contains("ended after its partition left"));
        } finally {
            logger.detachAppender(log);
        }
    }

    @Test
    void aRevokeWaitLongerThanTheSessionTimeoutKeepsTheMemberInTheGroupAndTheRecordRunsOnce() throws Exception {
        topicName = "rebalance-long-" + UUID.randomUUID();
        kafka.createTopic(topicName, 2, Map.of());
        topic = new Topic(topicName, Topic.KeyedBy.BACKUP, Set.of(BackupRequested.class), Map.of(), "rebalance jobs");
        produceTo(2, 2, (p, i) -> (i == 0 ? "bk-long-" : "bk-next-") + p);
        long longJobMs = 8_000;
        // The broker's minimum: the revoke wait below lasts longer, so heartbeats must go on during it.
        Map<String, String> shortSession = Map.of("session.timeout.ms", "6000");

        ListAppender<ILoggingEvent> log = new ListAppender<>();
        ch.qos.logback.classic.Logger logger = (ch.qos.logback.classic.Logger) LoggerFactory.getLogger(JobConsumer.class);
        log.start();
        logger.addAppender(log);
        try (Admin admin = kafka.admin()) {
            JobConsumer.Options options = new JobConsumer.Options(2, 3, Duration.ofMillis(100), Duration.ofMillis(300));
            new Member("A", options, shortSession, m -> (event, origin) -> {
                Run run = new Run("A", origin.partition(), origin.offset(), event.backupId());
                runs.add(run);
                Promise<Void> done = Promise.promise();
                m.vertx.setTimer(origin.offset() == 0 ? longJobMs : 1, t -> {
                    run.complete();
                    done.complete();
                });
                return done.future();
            }).start();
            await().atMost(PHASE).until(() -> inFlight("A") == 2);
            new Member("B", options, shortSession, m -> (event, origin) -> {
                runs.add(new Run("B", origin.partition(), origin.offset(), event.backupId()));
                runs.get(runs.size() - 1).complete();
                return Future.succeededFuture();
            }).start();
            await().atMost(PHASE).until(() -> committed(admin, 0) == 2 && committed(admin, 1) == 2);
        } finally {
            logger.detachAppender(log);
        }
        Run first = runs.stream().filter(r -> r.member.equals("B")).findFirst()
                .orElseThrow(() -> new AssertionError("no partition moved to B: " + runs));
        assertThat(first.offset).as("B starts after A's finished record").isEqualTo(1);
        Run longOne = runs.stream().filter(r -> r.member.equals("A") && r.partition == first.partition && r.offset == 0)
                .findFirst().orElseThrow();
        assertThat(first.start).as("B starts only after A's job on the partition ended").isGreaterThan(longOne.end());
        assertThat(runs.stream().filter(r -> r.offset == 0)).as("each long record ran once").hasSize(2);
        assertThat(log.list.stream().map(ILoggingEvent::getFormattedMessage))
                .anyMatch(m -> m.contains("waiting up to") && m.contains("1 running job"))
                .noneMatch(m -> m.contains("lost") || m.contains("still runs"));
    }

    private Member member(String name, JobConsumer.Options options) {
        return new Member(name, options, Member::timedJob);
    }

    /** Waits for a phase, checking the committed offsets and overlapping runs every 20 ms on the way. */
    private void awaitChecking(Admin admin, Callable<Boolean> condition) {
        await().atMost(PHASE).pollInterval(Duration.ofMillis(20)).until(() -> {
            checkCommits(admin);
            return !violations.isEmpty() || !overlaps().isEmpty() || condition.call();
        });
        assertThat(violations).as("committed offsets past unfinished jobs").isEmpty();
        assertThat(overlaps()).as("runs of one record overlapping in time on two members").isEmpty();
    }

    /** Committed offset c on a partition means a run of every record below c has completed. */
    private void checkCommits(Admin admin) throws Exception {
        for (var entry : committedOffsets(admin).entrySet()) {
            int partition = entry.getKey().partition();
            for (long offset = 0; offset < entry.getValue().offset(); offset++) {
                long o = offset;
                if (runs.stream().noneMatch(r -> r.partition == partition && r.offset == o && r.isCompleted())) {
                    violations.add(entry.getKey() + " committed " + entry.getValue().offset() + " but " + offset
                            + " has not completed; runs: " + runs);
                    return;
                }
            }
        }
    }

    /** Pairs of runs of one record (on any members) whose time spans overlap. */
    private List<String> overlaps() {
        List<String> found = new ArrayList<>();
        for (int p = 0; p < PARTITIONS; p++) {
            for (long o = 0; o < PER_PARTITION; o++) {
                int partition = p;
                long offset = o;
                List<Run> same = runs.stream().filter(r -> r.partition == partition && r.offset == offset)
                        .sorted(Comparator.comparingLong(r -> r.start)).toList();
                for (int i = 1; i < same.size(); i++) {
                    if (same.get(i).start < same.get(i - 1).end()) {
                        found.add(same.get(i - 1) + " overlaps " + same.get(i));
                    }
                }
            }
        }
        return found;
    }

    private boolean allCompleted() {
        for (int p = 0; p < PARTITIONS; p++) {
            for (long o = 0; o < PER_PARTITION; o++) {
                int partition = p;
                long offset = o;
                if (runs.stream().noneMatch(r -> r.partition == partition && r.offset == offset && r.isCompleted())) {
                    return false;
                }
            }
        }
        return true;
    }

    private long inFlight(String member) {
        return runs.stream().filter(r -> r.member.equals(member) && r.inFlight()).count();
    }

    private long started(String member) {
        return runs.stream().filter(r -> r.member.equals(member)).count();
    }

    private boolean committedToEnd(Admin admin) throws Exception {
        Map<TopicPartition, OffsetAndMetadata> committed = committedOffsets(admin);
        for (int p = 0; p < PARTITIONS; p++) {
            OffsetAndMetadata c = committed.get(new TopicPartition(topicName, p));
            if (c == null || c.offset() != PER_PARTITION) {
                return false;
            }
        }
        return true;
    }

    private long committed(Admin admin, int partition) throws Exception {
        OffsetAndMetadata c = committedOffsets(admin).get(new TopicPartition(topicName, partition));
        return c == null ? -1 : c.offset();
    }

    private Map<TopicPartition, OffsetAndMetadata> committedOffsets(Admin admin) throws Exception {
        Map<TopicPartition, OffsetAndMetadata> all = admin.listConsumerGroupOffsets(group)
                .partitionsToOffsetAndMetadata().get(10, TimeUnit.SECONDS);
        Map<TopicPartition, OffsetAndMetadata> ours = new java.util.HashMap<>();
        all.forEach((tp, c) -> {
            if (tp.topic().equals(topicName) && c != null) {
                ours.put(tp, c);
            }
        });
        return ours;
    }

    private void produce(int perPartition, java.util.function.IntFunction<String> prefix) throws Exception {
        produceTo(PARTITIONS, perPartition, (p, i) -> prefix.apply(p) + i);
    }

    /** Records straight to each partition, so every partition has the same known work. */
    private void produceTo(int partitions, int perPartition, java.util.function.BiFunction<Integer, Integer, String> id)
            throws Exception {
        Properties props = new Properties();
        props.put("bootstrap.servers", kafka.bootstrapServers());
        try (KafkaProducer<String, byte[]> producer = new KafkaProducer<>(props, new StringSerializer(),
                new ByteArraySerializer())) {
            for (int i = 0; i < perPartition; i++) {
                for (int p = 0; p < partitions; p++) {
                    String backupId = id.apply(p, i);
                    BackupRequested event = BackupRequested.of(backupId, "cluster-1", Trigger.MANUAL, "it",
                            BackupOptions.DEFAULTS);
                    var meta = producer.send(new ProducerRecord<>(topicName, p, backupId, EventCodec.encode(event)))
                            .get();
                    assertThat(meta.offset()).isEqualTo(i);
                }
            }
        }
    }
}
