package io.dtrbackup.discovery;

import io.dtrbackup.contract.events.BackupEvent;
import io.dtrbackup.contract.events.EventCodec;
import io.dtrbackup.contract.events.MalformedEventException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Predicate;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;

/** Reads topics from the beginning with a plain kafka-clients consumer and keeps every record. */
final class TopicRecorder implements AutoCloseable {
    /** One record; {@code event} is null when the value does not decode. */
    record Rec(String topic, String key, byte[] value, BackupEvent event) {
    }

    private final List<Rec> records = new CopyOnWriteArrayList<>();
    private final KafkaConsumer<String, byte[]> consumer;
    private final Thread thread;
    private volatile boolean running = true;

    TopicRecorder(String bootstrap, String... topics) {
        consumer = new KafkaConsumer<>(Map.of("bootstrap.servers", bootstrap, "enable.auto.commit", "false",
                "auto.offset.reset", "earliest", "key.deserializer", StringDeserializer.class.getName(),
                "value.deserializer", ByteArrayDeserializer.class.getName()));
        List<TopicPartition> partitions = new ArrayList<>();
        for (String topic : topics) {
            List<PartitionInfo> infos = consumer.partitionsFor(topic, Duration.ofSeconds(30));
            if (infos == null || infos.isEmpty()) {
                throw new AssertionError("topic " + topic + " does not exist");
            }
            infos.forEach(i -> partitions.add(new TopicPartition(topic, i.partition())));
        }
        consumer.assign(partitions);
        consumer.seekToBeginning(partitions);
        thread = new Thread(this::run, "topic-recorder");
        thread.setDaemon(true);
        thread.start();
    }

    private void run() {
        try {
            while (running) {
                for (ConsumerRecord<String, byte[]> r : consumer.poll(Duration.ofMillis(100))) {
                    BackupEvent event;
                    try {
                        event = EventCodec.decode(r.value());
                    } catch (MalformedEventException e) {
                        event = null;
                    }
                    records.add(new Rec(r.topic(), r.key(), r.value(), event));
                }
            }
        } catch (WakeupException e) {
            // closing
        } finally {
            consumer.close();
        }
    }

    List<Rec> all() {
        return List.copyOf(records);
    }

    /** Events of a type on a topic matching the filter, in topic order. */
    <E extends BackupEvent> List<E> events(String topic, Class<E> type, Predicate<E> filter) {
        return records.stream().filter(r -> r.topic().equals(topic) && type.isInstance(r.event()))
                .map(r -> type.cast(r.event())).filter(filter).toList();
    }

    <E extends BackupEvent> List<E> forBackup(String topic, Class<E> type, String backupId) {
        return events(topic, type, e -> backupId.equals(e.backupId()));
    }

    List<BackupEvent> statusOf(String backupId) {
        return records.stream().filter(r -> r.topic().equals(io.dtrbackup.contract.topics.Topics.STATUS.name())
                && r.event() != null && backupId.equals(r.event().backupId())).map(Rec::event).toList();
    }

    @Override
    public void close() throws InterruptedException {
        running = false;
        consumer.wakeup();
        thread.join(5000);
    }
}
