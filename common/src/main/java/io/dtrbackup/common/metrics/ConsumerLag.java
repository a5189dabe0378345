package io.dtrbackup.common.metrics;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Duration;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ListOffsetsResult;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Consumer lag per (topic, group) this service consumes: end offsets minus the group's committed
 * offsets (or minus the earliest offset where the group has committed nothing yet), summed over the
 * topic's partitions. Measured with an Admin client, so it is right even while the consumer is
 * paused in a long job. {@link #measure()} blocks: call it from a worker, never the event loop.
 */
public final class ConsumerLag implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(ConsumerLag.class);
    private static final long CALL_TIMEOUT_MS = 10_000;

    private record Key(String topic, String group) {
    }

    private final MeterRegistry registry;
    private final Map<String, String> adminConfig;
    private final Map<Key, AtomicReference<Double>> lags = new ConcurrentHashMap<>();
    private volatile Admin admin;
    private volatile boolean closed;
    private boolean warned;

    public ConsumerLag(MeterRegistry registry, Map<String, String> adminConfig) {
        this.registry = registry;
        this.adminConfig = new HashMap<>(adminConfig);
        // A scrape-side helper: fail fast instead of hanging a worker when the broker is away.
        this.adminConfig.putIfAbsent("request.timeout.ms", String.valueOf(CALL_TIMEOUT_MS));
        this.adminConfig.putIfAbsent("default.api.timeout.ms", String.valueOf(CALL_TIMEOUT_MS));
    }

    /** Registers the gauge of one consumer (NaN until first measured). */
    public void track(String topic, String group) {
        lags.computeIfAbsent(new Key(topic, group), k -> {
            AtomicReference<Double> value = new AtomicReference<>(Double.NaN);
            Gauge.builder(PipelineMeters.CONSUMER_LAG, value, AtomicReference::get)
                    .description("records of the topic not yet processed and committed by the consumer group")
                    .tags("topic", topic, "group", group).strongReference(true).register(registry);
            return value;
        });
    }

    /** Measures every tracked consumer once. Blocking; failures are logged once and leave the old values. */
    public synchronized void measure() {
        if (lags.isEmpty() || closed) {
            return;
        }
        try {
            if (admin == null) {
                admin = Admin.create(new HashMap<>(adminConfig));
                if (closed) {
                    close(); // closed while it was being created
                    return;
                }
            }
            Admin client = admin;
            Set<String> topics = new HashSet<>();
            lags.keySet().forEach(k -> topics.add(k.topic()));
            Map<String, TopicDescription> described = client.describeTopics(topics).allTopicNames()
                    .get(CALL_TIMEOUT_MS, TimeUnit.MILLISECONDS);
            Map<TopicPartition, OffsetSpec> latest = new HashMap<>();
            Map<TopicPartition, OffsetSpec> earliest = new HashMap<>();
            described.values().forEach(d -> d.partitions().forEach(p -> {
                TopicPartition tp = new TopicPartition(d.name(), p.partition());
                latest.put(tp, OffsetSpec.latest());
                earliest.put(tp, OffsetSpec.earliest());
            }));
            Map<TopicPartition, ListOffsetsResult.ListOffsetsResultInfo> ends = client.listOffsets(latest).all()
                    .get(CALL_TIMEOUT_MS, TimeUnit.MILLISECONDS);
            Map<TopicPartition, ListOffsetsResult.ListOffsetsResultInfo> starts = client.listOffsets(earliest).all()
                    .get(CALL_TIMEOUT_MS, TimeUnit.MILLISECONDS);
            for (Map.Entry<Key, AtomicReference<Double>> e : lags.entrySet()) {
                Map<TopicPartition, OffsetAndMetadata> committed = client.listConsumerGroupOffsets(e.getKey().group())
                        .partitionsToOffsetAndMetadata().get(CALL_TIMEOUT_MS, TimeUnit.MILLISECONDS);
                long lag = 0;
                List<TopicPartition> partitions = ends.keySet().stream()
                        .filter(tp -> tp.topic().equals(e.getKey().topic())).toList();
                for (TopicPartition tp : partitions) {
                    OffsetAndMetadata c = committed.get(tp);
                    long from = c != null ? c.offset() : starts.get(tp).offset();
                    lag += Math.max(0, ends.get(tp).offset() - from);
                }
                e.getValue().set((double) lag);
            }
            warned = false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (Exception e) {
            if (!warned && !closed) {
                LOG.warn("cannot measure consumer lag ({}); {} keeps its last values until Kafka answers",
                        e.toString(), PipelineMeters.CONSUMER_LAG);
                warned = true;
            }
        }
    }

    /** Not synchronized: it may be called while a measurement waits on Kafka, and makes it fail fast. */
    @Override
    public void close() {
        closed = true;
        Admin a = admin;
        if (a != null) {
            a.close(Duration.ofSeconds(2));
        }
    }
}
