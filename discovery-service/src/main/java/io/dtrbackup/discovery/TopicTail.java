package io.dtrbackup.discovery;

import io.dtrbackup.common.events.BackupEvent;
import io.dtrbackup.common.events.EventCodec;
import io.dtrbackup.common.events.MalformedEventException;
import io.dtrbackup.common.kafka.EventPublisher;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.function.BiConsumer;
import java.util.function.Consumer;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.header.Header;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reads a whole topic from the beginning and keeps following it, handing the events to the
 * verticle's context in order: how discovery rebuilds its view of the status and cluster-state
 * topics at start and keeps it current. No consumer group: every instance reads everything.
 *
 * <p>{@link #caughtUp()} completes once every record that was in the topic when it was called
 * has been handed over, so a decision taken after it has seen everything written before it
 * (including what another instance wrote). The Kafka consumer runs on its own thread because
 * it polls for the life of the service; it touches nothing but the consumer and hands results
 * over with {@link Context#runOnContext}, which keeps their order.
 */
final class TopicTail {
    private static final Logger LOG = LoggerFactory.getLogger(TopicTail.class);
    private static final Duration POLL = Duration.ofMillis(200);

    private final String topic;
    private final Map<String, String> consumerConfig;
    private final Set<String> types;
    private final Context context;
    private final BiConsumer<String, BackupEvent> onEvent;
    private final Consumer<String> onTombstone;
    private final ConcurrentLinkedQueue<Promise<Void>> newWaiters = new ConcurrentLinkedQueue<>();
    private volatile boolean running = true;
    private volatile KafkaConsumer<String, byte[]> consumer;
    private Thread thread;

    /**
     * @param types event type names to decode (from the type header); others are skipped
     * @param onEvent (record key, event), run on {@code context}
     * @param onTombstone record key of a null value, run on {@code context}
     */
    TopicTail(String topic, Map<String, String> consumerConfig, Set<String> types, Context context,
            BiConsumer<String, BackupEvent> onEvent, Consumer<String> onTombstone) {
        this.topic = topic;
        Map<String, String> config = new HashMap<>(consumerConfig);
        config.remove("group.id"); // assigned partitions, no group: nothing to commit, nothing to rebalance
        config.put("enable.auto.commit", "false");
        config.put("auto.offset.reset", "earliest");
        config.put("max.poll.records", "500");
        this.consumerConfig = config;
        this.types = types;
        this.context = context;
        this.onEvent = onEvent;
        this.onTombstone = onTombstone;
    }

    /** Starts following; completes once the topic's current content has been handed over. */
    Future<Void> start() {
        Future<Void> loaded = caughtUp();
        thread = new Thread(this::run, "tail-" + topic);
        thread.setDaemon(true);
        thread.start();
        return loaded;
    }

    /** Completes when everything in the topic now has been handed to the context. */
    Future<Void> caughtUp() {
        Promise<Void> promise = Promise.promise();
        if (!running) {
            promise.fail("the reader of " + topic + " is stopped");
        } else {
            newWaiters.add(promise);
        }
        return promise.future();
    }

    /** Stops the thread; blocking (joins it), call from a worker. */
    void close() {
        running = false;
        KafkaConsumer<String, byte[]> c = consumer;
        if (c != null) {
            c.wakeup();
        }
        if (thread != null) {
            try {
                thread.join(10_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        failWaiters(new ArrayList<>(newWaiters), "the reader of " + topic + " stopped");
    }

    private record Waiter(Promise<Void> promise, Map<TopicPartition, Long> target) {
    }

    private void run() {
        List<Waiter> waiters = new ArrayList<>();
        int failures = 0;
        while (running) {
            try (KafkaConsumer<String, byte[]> c = new KafkaConsumer<>(new HashMap<>(consumerConfig))) {
                consumer = c;
                List<TopicPartition> partitions = partitions(c);
                c.assign(partitions);
                c.seekToBeginning(partitions);
                while (running) {
                    for (ConsumerRecord<String, byte[]> record : c.poll(POLL)) {
                        hand(record);
                    }
                    for (Promise<Void> p; (p = newWaiters.poll()) != null; ) {
                        waiters.add(new Waiter(p, c.endOffsets(partitions)));
                    }
                    for (Iterator<Waiter> it = waiters.iterator(); it.hasNext(); ) {
                        Waiter w = it.next();
                        if (reached(c, w.target())) {
                            it.remove();
                            // After the records handed over above: runOnContext keeps the order.
                            context.runOnContext(v -> w.promise().tryComplete());
                        }
                    }
                    failures = 0;
                }
            } catch (WakeupException e) {
                // close() asked us to stop
            } catch (RuntimeException e) {
                failures++;
                LOG.warn("reading {} failed (attempt {}), starting over from the beginning: {}", topic, failures,
                        e.toString());
                // Re-reading from the start is safe: the views only move forward.
                failWaiters(waiters.stream().map(Waiter::promise).toList(), "reading " + topic + " failed: " + e);
                waiters.clear();
                sleep(Math.min(30_000L, 500L << Math.min(failures, 6)));
            } finally {
                consumer = null;
            }
        }
        failWaiters(waiters.stream().map(Waiter::promise).toList(), "the reader of " + topic + " stopped");
    }

    private List<TopicPartition> partitions(KafkaConsumer<String, byte[]> c) {
        List<PartitionInfo> infos = c.partitionsFor(topic, Duration.ofSeconds(30));
        if (infos == null || infos.isEmpty()) {
            throw new IllegalStateException("topic " + topic + " does not exist: create it (DTR_BACKUP_KAFKA_CREATE_TOPICS)");
        }
        return infos.stream().map(i -> new TopicPartition(i.topic(), i.partition())).toList();
    }

    private static boolean reached(KafkaConsumer<String, byte[]> c, Map<TopicPartition, Long> target) {
        for (Map.Entry<TopicPartition, Long> e : target.entrySet()) {
            if (c.position(e.getKey()) < e.getValue()) {
                return false;
            }
        }
        return true;
    }

    private void hand(ConsumerRecord<String, byte[]> record) {
        String key = record.key();
        if (record.value() == null) {
            context.runOnContext(v -> onTombstone.accept(key));
            return;
        }
        Header typeHeader = record.headers().lastHeader(EventPublisher.TYPE_HEADER);
        if (typeHeader != null && !types.contains(new String(typeHeader.value(), StandardCharsets.UTF_8))) {
            return; // progress and artifact events: not needed, not decoded
        }
        BackupEvent event;
        try {
            event = EventCodec.decode(record.value());
        } catch (MalformedEventException e) {
            LOG.debug("{}-{}@{} skipped: {}", record.topic(), record.partition(), record.offset(), e.getMessage());
            return;
        }
        if (types.contains(event.type())) {
            context.runOnContext(v -> onEvent.accept(key, event));
        }
    }

    private void failWaiters(List<Promise<Void>> promises, String why) {
        for (Promise<Void> p : promises) {
            context.runOnContext(v -> p.tryFail(why));
        }
    }

    private void sleep(long millis) {
        long until = System.currentTimeMillis() + millis;
        while (running && System.currentTimeMillis() < until) {
            try {
                Thread.sleep(Math.min(200, millis));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }
}
