package io.dtrbackup.cli;

import io.dtrbackup.contract.events.BackupEvent;
import io.dtrbackup.contract.events.EventCodec;
import io.dtrbackup.common.kafka.EventPublisher;
import io.dtrbackup.common.kafka.KafkaSettings;
import io.dtrbackup.common.kafka.TopicReader;
import io.dtrbackup.contract.topics.Topic;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Consumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;

/** Plain kafka-clients access for a short-lived command: publish one event, open a topic's reader. */
final class KafkaAccess {
    static final int API_TIMEOUT_MS = 15_000;

    private KafkaAccess() {
    }

    /** Publishes {@code event} on {@code topic}, keyed as the registry says; waits for the broker's ack. */
    static void publish(KafkaSettings settings, Topic topic, BackupEvent event) {
        Map<String, Object> config = new HashMap<>(settings.producer("dtr-backup-cli"));
        config.put("max.block.ms", String.valueOf(API_TIMEOUT_MS));
        config.put("delivery.timeout.ms", String.valueOf(API_TIMEOUT_MS * 2));
        config.put("request.timeout.ms", String.valueOf(API_TIMEOUT_MS));
        try (KafkaProducer<String, byte[]> producer = new KafkaProducer<>(config)) {
            ProducerRecord<String, byte[]> record = new ProducerRecord<>(topic.name(), topic.keyOf(event),
                    EventCodec.encode(event));
            record.headers().add(EventPublisher.TYPE_HEADER, event.type().getBytes(StandardCharsets.UTF_8));
            producer.send(record).get(API_TIMEOUT_MS * 2L, TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new CliException("interrupted while publishing " + event.type());
        } catch (ExecutionException | TimeoutException | org.apache.kafka.common.KafkaException e) {
            Throwable cause = e instanceof ExecutionException && e.getCause() != null ? e.getCause() : e;
            throw unreachable(settings, "could not publish " + event.type() + " on " + topic.name(), cause);
        }
    }

    /**
     * Opens a reader of {@code topic} (no consumer group, see {@link TopicReader}), with this
     * command's timeouts; a missing topic or an unreachable broker becomes a {@link CliException}.
     */
    static TopicReader openReader(KafkaSettings settings, Topic topic, TopicReader.Start start) {
        Map<String, Object> config = new HashMap<>(settings.consumer("unused", "dtr-backup-cli-reader"));
        config.put("default.api.timeout.ms", String.valueOf(API_TIMEOUT_MS));
        config.put("request.timeout.ms", String.valueOf(API_TIMEOUT_MS));
        try {
            return TopicReader.open(config, topic.name(), start);
        } catch (TopicReader.MissingTopicException e) {
            throw new CliException("topic " + topic.name() + " does not exist on " + settings.bootstrapServers()
                    + ": start the services (they create their topics) or the embedded stack "
                    + "('./dtr-backup stack --clusters FILE')");
        } catch (org.apache.kafka.common.KafkaException e) {
            throw unreachable(settings, "could not read topic " + topic.name(), e);
        }
    }

    /** Hands the events up to where the topic ended at open to {@code sink}, tombstones left out. */
    static void readToEnd(TopicReader reader, Duration timeout, Consumer<BackupEvent> sink) {
        boolean done = reader.readToEnd(timeout, r -> {
            if (!r.tombstone()) {
                sink.accept(r.event());
            }
        });
        if (!done) {
            throw new CliException(ExitCodes.TIMEOUT,
                    "reading the topic took longer than " + timeout.toSeconds() + " s");
        }
    }

    static CliException unreachable(KafkaSettings settings, String what, Throwable cause) {
        return new CliException(ExitCodes.ERROR, what + " (" + cause.getClass().getSimpleName()
                + (cause.getMessage() == null ? "" : ": " + cause.getMessage()) + "). Is Kafka reachable at "
                + settings.bootstrapServers() + " and are the services (which create the topics) started? "
                + "Start the embedded stack with './dtr-backup stack --clusters FILE' or pass --bootstrap HOST:PORT.",
                cause);
    }
}
