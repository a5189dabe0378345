package io.dtrbackup.cli;

import io.dtrbackup.common.events.BackupEvent;
import io.dtrbackup.common.events.EventCodec;
import io.dtrbackup.common.events.MalformedEventException;
import io.dtrbackup.common.kafka.KafkaSettings;
import io.dtrbackup.common.topics.Topic;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndTimestamp;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;

/**
 * Reads every partition of one topic without a consumer group (nothing is committed, nothing is
 * taken from the pipeline's own consumers), from the end, the beginning or a point in time.
 * Records that do not decode are counted and skipped: a viewer must not stop on them.
 */
final class TopicReader implements AutoCloseable {
    private final KafkaConsumer<String, byte[]> consumer;
    private final List<TopicPartition> partitions;
    private final Map<TopicPartition, Long> endAtOpen;
    private int undecodable;

    private TopicReader(KafkaConsumer<String, byte[]> consumer, List<TopicPartition> partitions,
            Map<TopicPartition, Long> endAtOpen) {
        this.consumer = consumer;
        this.partitions = partitions;
        this.endAtOpen = endAtOpen;
    }

    /** Where reading starts. */
    sealed interface Start {
        record End() implements Start { }
        record Beginning() implements Start { }
        record Since(Instant at) implements Start { }
    }

    static final Start END = new Start.End();
    static final Start BEGINNING = new Start.Beginning();

    static Start since(Instant at) {
        return new Start.Since(at);
    }

    static TopicReader open(KafkaSettings settings, Topic topic, Start start) {
        Map<String, Object> config = new HashMap<>(settings.consumer("unused", "dtr-backup-cli-reader"));
        config.remove("group.id");
        config.put("enable.auto.commit", "false");
        config.put("max.poll.records", "500");
        config.put("default.api.timeout.ms", String.valueOf(KafkaAccess.API_TIMEOUT_MS));
        config.put("request.timeout.ms", String.valueOf(KafkaAccess.API_TIMEOUT_MS));
        KafkaConsumer<String, byte[]> consumer = new KafkaConsumer<>(config);
        try {
            List<PartitionInfo> infos = consumer.partitionsFor(topic.name());
            if (infos == null || infos.isEmpty()) {
                throw new CliException("topic " + topic.name() + " does not exist on " + settings.bootstrapServers()
                        + ": start the services (they create their topics) or the embedded stack "
                        + "('./dtr-backup stack --clusters FILE')");
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
            return new TopicReader(consumer, partitions, end);
        } catch (CliException e) {
            consumer.close();
            throw e;
        } catch (org.apache.kafka.common.KafkaException e) {
            consumer.close();
            throw KafkaAccess.unreachable(settings, "could not read topic " + topic.name(), e);
        }
    }

    /** The next events, waiting at most {@code timeout} for some. */
    List<BackupEvent> poll(Duration timeout) {
        List<BackupEvent> events = new ArrayList<>();
        for (ConsumerRecord<String, byte[]> record : consumer.poll(timeout)) {
            try {
                events.add(EventCodec.decode(record.value()));
            } catch (MalformedEventException e) {
                undecodable++;
            }
        }
        return events;
    }

    /** True once every partition has been read up to where it ended when the reader opened. */
    boolean caughtUp() {
        for (TopicPartition p : partitions) {
            if (consumer.position(p) < endAtOpen.getOrDefault(p, 0L)) {
                return false;
            }
        }
        return true;
    }

    /** Reads until caught up with the end as it was at open, then returns everything read. */
    List<BackupEvent> readToEnd(Duration timeout) {
        List<BackupEvent> all = new ArrayList<>();
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!caughtUp()) {
            if (System.nanoTime() > deadline) {
                throw new CliException(ExitCodes.TIMEOUT, "reading the topic took longer than " + timeout.toSeconds() + " s");
            }
            all.addAll(poll(Duration.ofMillis(500)));
        }
        return all;
    }

    int undecodable() {
        return undecodable;
    }

    @Override
    public void close() {
        consumer.close(Duration.ofSeconds(2));
    }
}
