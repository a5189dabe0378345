package io.dtrbackup.common.kafka;

import io.dtrbackup.contract.events.BackupEvent;
import io.dtrbackup.contract.events.DeadLetter;
import io.dtrbackup.contract.events.EventCodec;
import io.dtrbackup.contract.topics.Topic;
import io.dtrbackup.contract.topics.Topics;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.kafka.client.producer.KafkaProducer;
import io.vertx.kafka.client.producer.KafkaProducerRecord;
import java.nio.charset.StandardCharsets;

/**
 * Writes events to their topics, keyed as the topic registry says. The future completes when the
 * broker has acknowledged the record (acks=all): only then may a stage commit its input.
 */
public final class EventPublisher {
    /** Header carrying the event type, so a tool can filter without decoding the value. */
    public static final String TYPE_HEADER = "dtr-backup-type";

    private final KafkaProducer<String, byte[]> producer;
    private final String service;

    public EventPublisher(KafkaProducer<String, byte[]> producer, String service) {
        this.producer = producer;
        this.service = service;
    }

    public static EventPublisher create(Vertx vertx, KafkaSettings settings, String service) {
        return new EventPublisher(KafkaProducer.create(vertx, settings.producer(service + "-producer")), service);
    }

    public Future<Void> publish(Topic topic, BackupEvent event) {
        KafkaProducerRecord<String, byte[]> record =
                KafkaProducerRecord.create(topic.name(), topic.keyOf(event), EventCodec.encode(event));
        record.addHeader(TYPE_HEADER, event.type());
        return producer.send(record).mapEmpty();
    }

    /** Publishes to each topic in order, stopping at the first failure. */
    public Future<Void> publish(BackupEvent event, Topic first, Topic... more) {
        Future<Void> chain = publish(first, event);
        for (Topic topic : more) {
            chain = chain.compose(v -> publish(topic, event));
        }
        return chain;
    }

    public Future<Void> deadLetter(DeadLetter letter) {
        byte[] value = EventCodec.mapper().valueToTree(letter).toString().getBytes(StandardCharsets.UTF_8);
        KafkaProducerRecord<String, byte[]> record = KafkaProducerRecord.create(Topics.DEAD_LETTER, letter.key(), value);
        record.addHeader("dtr-backup-reason", letter.reason());
        record.addHeader("dtr-backup-service", service);
        return producer.send(record).mapEmpty();
    }

    public String service() {
        return service;
    }

    public Future<Void> close() {
        return producer.close();
    }
}
