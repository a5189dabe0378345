package io.dtrbackup.common.kafka;

import io.dtrbackup.contract.events.BackupEvent;
import io.dtrbackup.contract.events.EventCodec;
import io.dtrbackup.contract.events.MalformedEventException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndTimestamp;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.header.Header;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reads every partition of one topic without a consumer group (nothing is committed, nothing is
 * taken from the pipeline's consumers), from the end, the beginning or a point in time: how a
 * view of a topic is built (discovery's ledger, the CLI's watch, board and follow). The group
 * consumer of the pipeline's stages is {@link JobConsumer}.
 *
 * <p>Records that do not decode are skipped (a view must not stop on them); a record without a
 * value is handed over as a tombstone. Memory is bounded: one poll holds at most
 * {@value #MAX_POLL_RECORDS} records. Like the Kafka consumer inside, a reader belongs to one
 * thread: every method but {@link #wakeup()} is called from the thread that opened it
 * ({@link TopicFollower} runs one on a thread of its own).
 */
public final class TopicReader implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(TopicReader.class);
    static final int MAX_POLL_RECORDS = 500;

    /** Where reading starts. */
    public sealed interface Start {
        record End() implements Start { }

        record Beginning() implements Start { }

        record Since(Instant at) implements Start { }
    }

    public static final Start END = new Start.End();
    public static final Start BEGINNING = new Start.Beginning();

    public static Start since(Instant at) {
        return new Start.Since(at);
    }

    /** One record read: its key and its event, or a null event for a tombstone (a record without a value). */
    public record Read(String key, BackupEvent event) {
        public boolean tombstone() {
            return event == null;
        }
    }

    /** Where each partition ended at some moment: {@link #reached} tells when the reader got there. */
    public record EndMark(Map<TopicPartition, Long> offsets) {
    }

    /** The topic is not there (not created yet). */
    public static final class MissingTopicException extends IllegalStateException {
        MissingTopicException(String topic) {
            super("topic " + topic + " does not exist: create it (DTR_BACKUP_KAFKA_CREATE_TOPICS)");
        }
    }

    private final Consumer<String, byte[]> consumer;
    private final String topic;
    private final Set<String> types;
    private final List<TopicPartition> partitions;
    private final EndMark endAtOpen;

    private TopicReader(Consumer<String, byte[]> consumer, String topic, Set<String> types,
            List<TopicPartition> partitions, EndMark endAtOpen) {
        this.consumer = consumer;
        this.topic = topic;
        this.types = types;
        this.partitions = partitions;
        this.endAtOpen = endAtOpen;
    }

    /** Every event type. */
    public static TopicReader open(Map<String, ?> consumerConfig, String topic, Start start) {
        return open(consumerConfig, topic, start, Set.of());
    }

    /**
     * @param consumerConfig a consumer's configuration; a {@code group.id} in it is ignored
     * @param types event type names to decode, read from the type header first so the others are
     *        not even decoded; empty for all
     * @throws MissingTopicException when the topic does not exist
     * @throws org.apache.kafka.common.KafkaException when the broker cannot be reached
     */
    public static TopicReader open(Map<String, ?> consumerConfig, String topic, Start start, Set<String> types) {
        Map<String, Object> config = new HashMap<>(consumerConfig);
        config.remove("group.id"); // assigned partitions, no group: nothing to commit, nothing to rebalance
        config.put("enable.auto.commit", "false");
        config.put("auto.offset.reset", "earliest");
        config.put("max.poll.records", String.valueOf(MAX_POLL_RECORDS));
        return on(new KafkaConsumer<>(config), topic, start, types);
    }

    /** Reads with {@code consumer} (configured without a group), which it closes; also for tests. */
    static TopicReader on(Consumer<String, byte[]> consumer, String topic, Start start, Set<String> types) {
        try {
            List<PartitionInfo> infos = consumer.partitionsFor(topic);
            if (infos == null || infos.isEmpty()) {
                throw new MissingTopicException(topic);
            }
            List<TopicPartition> partitions = infos.stream().map(i -> new TopicPartition(i.topic(), i.partition())).toList();
            consumer.assign(partitions);
            Map<TopicPartition, Long> end = consumer.endOffsets(partitions);
            if (start instanceof Start.Beginning) {
                consumer.seekToBeginning(partitions);
            } else if (start instanceof Start.Since s) {
                Map<TopicPartition, Long> query = new HashMap<>();
                partitions.forEach(p -> query.put(p, s.at().toEpochMilli()));
                Map<TopicPartition, OffsetAndTimestamp> found = consumer.offsetsForTimes(query);
                for (TopicPartition p : partitions) {
                    OffsetAndTimestamp o = found.get(p);
                    consumer.seek(p, o == null ? end.get(p) : o.offset());
                }
            } else {
                end.forEach(consumer::seek);
            }
            return new TopicReader(consumer, topic, Set.copyOf(types), partitions, new EndMark(Map.copyOf(end)));
        } catch (RuntimeException e) {
            consumer.close(Duration.ZERO);
            throw e;
        }
    }

    public String topic() {
        return topic;
    }

    /** The next records (at most {@value #MAX_POLL_RECORDS}), waiting at most {@code timeout} for some. */
    public List<Read> poll(Duration timeout) {
        List<Read> reads = new ArrayList<>();
        for (ConsumerRecord<String, byte[]> record : consumer.poll(timeout)) {
            Read read = decode(record);
            if (read != null) {
                reads.add(read);
            }
        }
        return reads;
    }

    /** The next events, tombstones left out. */
    public List<BackupEvent> pollEvents(Duration timeout) {
        return poll(timeout).stream().filter(r -> !r.tombstone()).map(Read::event).toList();
    }

    /** Where every partition ends now. */
    public EndMark endNow() {
        return new EndMark(Map.copyOf(consumer.endOffsets(partitions)));
    }

    /** True once every partition has been read up to {@code mark}. */
    public boolean reached(EndMark mark) {
        for (Map.Entry<TopicPartition, Long> e : mark.offsets().entrySet()) {
            if (consumer.position(e.getKey()) < e.getValue()) {
                return false;
            }
        }
        return true;
    }

    /** True once every partition has been read up to where it ended when the reader opened. */
    public boolean caughtUp() {
        return reached(endAtOpen);
    }

    /**
     * Hands every record up to where the topic ended at open to {@code sink}, one poll at a time.
     * False if that took longer than {@code timeout}.
     */
    public boolean readToEnd(Duration timeout, java.util.function.Consumer<Read> sink) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!caughtUp()) {
            if (System.nanoTime() > deadline) {
                return false;
            }
            poll(Duration.ofMillis(500)).forEach(sink);
        }
        return true;
    }

    /** Makes a blocked or the next {@link #poll} throw a {@code WakeupException}; from any thread. */
    public void wakeup() {
        consumer.wakeup();
    }

    @Override
    public void close() {
        consumer.close(Duration.ofSeconds(2));
    }

    private Read decode(ConsumerRecord<String, byte[]> record) {
        if (record.value() == null) {
            return new Read(record.key(), null);
        }
        Header typeHeader = record.headers().lastHeader(EventPublisher.TYPE_HEADER);
        if (typeHeader != null && !wanted(new String(typeHeader.value(), StandardCharsets.UTF_8))) {
            return null;
        }
        BackupEvent event;
        try {
            event = EventCodec.decode(record.value());
        } catch (MalformedEventException e) {
            LOG.debug("{}-{}@{} skipped: {}", record.topic(), record.partition(), record.offset(), e.getMessage());
            return null;
        }
        return wanted(event.type()) ? new Read(record.key(), event) : null;
    }

    private boolean wanted(String type) {
        return types.isEmpty() || types.contains(type);
    }
}
