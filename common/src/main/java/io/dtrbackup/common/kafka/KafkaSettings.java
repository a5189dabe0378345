package io.dtrbackup.common.kafka;

import io.dtrbackup.contract.config.CommonConfig;
import io.dtrbackup.contract.config.ConfigException;
import io.dtrbackup.contract.config.ServiceConfig;
import java.io.IOException;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;

/**
 * Kafka client settings for one service: the bootstrap servers plus whatever the operator put in
 * the Kafka properties file (TLS, SASL...), passed through untouched, plus the pipeline's own
 * fixed choices (manual commits, idempotent producer).
 */
public final class KafkaSettings {
    private final Map<String, String> base;
    private final int topicPartitions;
    private final short replicationFactor;
    private final boolean createTopics;

    public KafkaSettings(Map<String, String> base, int topicPartitions, short replicationFactor, boolean createTopics) {
        this.base = Map.copyOf(base);
        this.topicPartitions = topicPartitions;
        this.replicationFactor = replicationFactor;
        this.createTopics = createTopics;
    }

    public static KafkaSettings from(ServiceConfig config) {
        Map<String, String> base = new HashMap<>();
        Path file = config.get(CommonConfig.KAFKA_PROPERTIES_FILE);
        if (file != null) {
            Properties properties = new Properties();
            try (Reader reader = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
                properties.load(reader);
            } catch (IOException e) {
                throw new ConfigException("cannot read Kafka properties file " + file + ": " + e.getClass().getSimpleName());
            }
            properties.forEach((k, v) -> base.put(k.toString(), v.toString()));
        }
        base.put("bootstrap.servers", config.get(CommonConfig.KAFKA_BOOTSTRAP_SERVERS));
        return new KafkaSettings(base, config.get(CommonConfig.KAFKA_TOPIC_PARTITIONS),
                config.get(CommonConfig.KAFKA_TOPIC_REPLICATION), config.get(CommonConfig.KAFKA_CREATE_TOPICS));
    }

    /** Settings for a broker on the given bootstrap servers with defaults; for tests and the embedded stack. */
    public static KafkaSettings of(String bootstrapServers) {
        return new KafkaSettings(Map.of("bootstrap.servers", bootstrapServers), 6, (short) 1, true);
    }

    public String bootstrapServers() {
        return base.get("bootstrap.servers");
    }

    public Map<String, String> admin(String clientId) {
        Map<String, String> config = new HashMap<>(base);
        config.put("client.id", clientId + "-admin");
        return config;
    }

    /** A consumer that never commits on its own: offsets are committed after the output is written. */
    public Map<String, String> consumer(String groupId, String clientId) {
        Map<String, String> config = new HashMap<>(base);
        config.put("group.id", groupId);
        config.put("client.id", clientId);
        config.put("enable.auto.commit", "false");
        config.putIfAbsent("auto.offset.reset", "earliest");
        // Long jobs run while the partition is paused and polling goes on, so a small batch is enough.
        config.putIfAbsent("max.poll.records", "20");
        config.put("key.deserializer", StringDeserializer.class.getName());
        config.put("value.deserializer", ByteArrayDeserializer.class.getName());
        return config;
    }

    public Map<String, String> producer(String clientId) {
        Map<String, String> config = new HashMap<>(base);
        config.put("client.id", clientId);
        config.put("acks", "all");
        config.put("enable.idempotence", "true");
        config.putIfAbsent("linger.ms", "5");
        config.put("key.serializer", StringSerializer.class.getName());
        config.put("value.serializer", ByteArraySerializer.class.getName());
        return config;
    }

    public int topicPartitions() {
        return topicPartitions;
    }

    public short replicationFactor() {
        return replicationFactor;
    }

    public boolean createTopics() {
        return createTopics;
    }
}
