package io.dtrbackup.metadata;

import io.dtrbackup.contract.events.BackupEvent;
import io.dtrbackup.contract.events.EventCodec;
import io.dtrbackup.contract.events.MalformedEventException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;

/** Reads topics from the start with a plain consumer of its own group, on a background thread. */
final class TopicRecorder implements AutoCloseable {
    /** One record: topic, raw value text and the decoded event (null if it did not decode). */
    record Received(String topic, String raw, BackupEvent event) {
    }

    private final List<Received> received = new CopyOnWriteArrayList<>();
    private final Thread thread;
    private volatile boolean running = true;

    TopicRecorder(String bootstrap, List<String> topics) {
        KafkaConsumer<String, byte[]> consumer = new KafkaConsumer<>(Map.of(
                "bootstrap.servers", bootstrap,
                "group.id", "metadata-it-" + UUID.randomUUID(),
                "auto.offset.reset", "earliest",
                "enable.auto.commit", "false",
                "metadata.max.age.ms", "1000"),
                new StringDeserializer(), new ByteArrayDeserializer());
        thread = new Thread(() -> {
            try (consumer) {
                consumer.subscribe(topics);
                while (running) {
                    for (ConsumerRecord<String, byte[]> r : consumer.poll(Duration.ofMillis(200))) {
                        BackupEvent event;
                        try {
                            event = EventCodec.decode(r.value());
                        } catch (MalformedEventException e) {
                            event = null;
                        }
                        received.add(new Received(r.topic(), new String(r.value(), StandardCharsets.UTF_8), event));
                    }
                }
            }
        }, "topic-recorder");
        thread.setDaemon(true);
        thread.start();
    }

    List<Received> all() {
        return List.copyOf(received);
    }

    <E extends BackupEvent> List<E> events(String topic, String backupId, Class<E> type) {
        List<E> out = new ArrayList<>();
        for (Received r : received) {
            if (r.topic().equals(topic) && type.isInstance(r.event()) && backupId.equals(r.event().backupId())) {
                out.add(type.cast(r.event()));
            }
        }
        return out;
    }

    @Override
    public void close() throws InterruptedException {
        running = false;
        thread.join(5000);
    }
}
