package io.dtrbackup.common.kafka;

import io.dtrbackup.contract.events.BackupRequested;
import io.dtrbackup.contract.topics.Topic;
import io.vertx.core.Context;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * A JobConsumer group member in a process of its own, for RebalanceFaultIT to SIGKILL: a crash
 * that runs no code, sends no LeaveGroup and commits nothing, so the group only notices it when
 * the member's session times out.
 *
 * <p>It talks to the test over its standard streams, one line each: {@code RUN READY} once
 * subscribed; {@code RUN START <partition> <offset> <nanoTime> <backupId>} when a job starts;
 * {@code RUN DONE <partition> <offset> <nanoTime>} when it has run for the job time. The job then
 * completes (and its offset may be committed) only after the test answers {@code ACK <partition>
 * <offset>}, so the test has recorded the completion before any commit can show it. System.nanoTime
 * is the machine's monotonic clock, so the test compares these times with its own.
 *
 * <p>Arguments: bootstrap servers, topic, group, member name, job ms, max concurrent jobs,
 * session.timeout.ms, heartbeat.interval.ms.
 */
public final class RebalanceMemberProcess {
    private RebalanceMemberProcess() {
    }

    public static void main(String[] args) throws Exception {
        String bootstrap = args[0];
        String topicName = args[1];
        String group = args[2];
        String name = args[3];
        long jobMs = Long.parseLong(args[4]);
        int maxJobs = Integer.parseInt(args[5]);
        // The protocol goes to the real stdout; log lines may interleave, they do not start with "RUN ".
        PrintStream out = System.out;
        Map<String, Promise<Void>> waiting = new ConcurrentHashMap<>();

        Vertx vertx = Vertx.vertx();
        Context context = vertx.getOrCreateContext();
        KafkaSettings settings = KafkaSettings.of(bootstrap);
        Map<String, String> config = settings.consumer(group, "rebalance-it-" + name + "-" + ProcessHandle.current().pid());
        config.put("session.timeout.ms", args[6]);
        config.put("heartbeat.interval.ms", args[7]);
        Topic topic = new Topic(topicName, Topic.KeyedBy.BACKUP, Set.of(BackupRequested.class), Map.of(),
                "rebalance jobs");
        EventPublisher publisher = EventPublisher.create(vertx, settings, "rebalance-it");
        JobConsumer.Options options = new JobConsumer.Options(maxJobs, 3, Duration.ofMillis(100), Duration.ofMillis(300));
        JobConsumer<BackupRequested> consumer = new JobConsumer<>(vertx, "rebalance-it-" + name, topic,
                BackupRequested.class, config, publisher, options, (event, origin) -> {
                    String id = origin.partition() + " " + origin.offset();
                    Promise<Void> done = Promise.promise();
                    waiting.put(id, done);
                    say(out, "RUN START " + id + " " + System.nanoTime() + " " + event.backupId());
                    vertx.setTimer(jobMs, t -> say(out, "RUN DONE " + id + " " + System.nanoTime()));
                    return done.future();
                });
        context.runOnContext(v -> consumer.start().onSuccess(x -> say(out, "RUN READY")).onFailure(e -> {
            say(out, "RUN FAILED " + e);
            System.exit(2);
        }));

        BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        for (String line; (line = in.readLine()) != null; ) {
            if (line.startsWith("ACK ")) {
                Promise<Void> done = waiting.remove(line.substring(4));
                if (done != null) {
                    context.runOnContext(v -> done.complete());
                }
            }
        }
        // The test closed stdin: stop for real (only reached when the test did not kill the process).
        consumer.stop(Duration.ofSeconds(10)).await(20, TimeUnit.SECONDS);
        vertx.close().await(20, TimeUnit.SECONDS);
        System.exit(0);
    }

    private static synchronized void say(PrintStream out, String line) {
        out.println(line);
        out.flush();
    }
}
