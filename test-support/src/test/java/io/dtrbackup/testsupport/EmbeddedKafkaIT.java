package io.dtrbackup.testsupport;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.TimeUnit;

import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

@ExtendWith(KafkaExtension.class)
class EmbeddedKafkaIT {

    @Test
    void recordRoundTrips(EmbeddedKafka kafka) throws Exception {
        kafka.createTopic("it.roundtrip", 3, Map.of("retention.ms", "3600000"));
        kafka.createTopic("it.roundtrip", 3, Map.of()); // idempotent
        produce(kafka, "it.roundtrip", "k1", "hello");
        assertThat(consume(kafka, "it.roundtrip", 1)).containsExactly("hello");
    }

    @Test
    void sameInstanceForEveryParameter(EmbeddedKafka a, EmbeddedKafka b) {
        assertThat(a).isSameAs(b);
        assertThat(a.bootstrapServers()).startsWith("127.0.0.1:");
    }

    @Test
    void restartKeepsPortAndData() throws Exception {
        // Own broker: restarting the shared one would disturb other test classes.
        try (EmbeddedKafka kafka = EmbeddedKafka.start()) {
            String bootstrap = kafka.bootstrapServers();
            kafka.createTopic("it.restart", 1, Map.of());
            produce(kafka, "it.restart", "k", "before");
            kafka.stop();
            assertThat(kafka.isRunning()).isFalse();
            kafka.restart();
            assertThat(kafka.bootstrapServers()).isEqualTo(bootstrap);
            produce(kafka, "it.restart", "k", "after");
            assertThat(consume(kafka, "it.restart", 2)).containsExactly("before", "after");
        }
    }

    static void produce(EmbeddedKafka kafka, String topic, String key, String value) throws Exception {
        Properties p = new Properties();
        p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers());
        p.put(ProducerConfig.ACKS_CONFIG, "all");
        try (KafkaProducer<String, String> producer = new KafkaProducer<>(p, new StringSerializer(), new StringSerializer())) {
            producer.send(new ProducerRecord<>(topic, key, value)).get(30, TimeUnit.SECONDS);
        }
    }

    static List<String> consume(EmbeddedKafka kafka, String topic, int expected) {
        Properties p = new Properties();
        p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers());
        p.put(ConsumerConfig.GROUP_ID_CONFIG, "it-" + System.nanoTime());
        p.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        List<String> values = new ArrayList<>();
        try (KafkaConsumer<String, String> consumer = new KafkaConsumer<>(p, new StringDeserializer(), new StringDeserializer())) {
            consumer.subscribe(List.of(topic));
            Awaitility.await().atMost(Duration.ofSeconds(30)).until(() -> {
                for (ConsumerRecord<String, String> r : consumer.poll(Duration.ofMillis(200))) {
                    values.add(r.value());
                }
                return values.size() >= expected;
            });
        }
        return values;
    }
}
