package io.dtrbackup.common.kafka;

import io.dtrbackup.contract.topics.Topic;
import io.dtrbackup.contract.topics.Topics;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.common.errors.TopicExistsException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Creates the pipeline's topics when missing (blocking: call from a worker). */
public final class TopicCreator {
    private static final Logger LOG = LoggerFactory.getLogger(TopicCreator.class);

    private TopicCreator() {
    }

    public static void ensureTopics(KafkaSettings settings, String clientId) {
        List<NewTopic> wanted = new ArrayList<>();
        for (Topic topic : Topics.all()) {
            int partitions = topic == Topics.CLUSTER_STATE ? 1 : settings.topicPartitions();
            wanted.add(new NewTopic(topic.name(), partitions, settings.replicationFactor()).configs(topic.configs()));
        }
        wanted.add(new NewTopic(Topics.DEAD_LETTER, 1, settings.replicationFactor()).configs(Topics.deadLetterConfigs()));
        Map<String, Object> adminConfig = new HashMap<>(settings.admin(clientId));
        try (Admin admin = Admin.create(adminConfig)) {
            var result = admin.createTopics(wanted);
            for (var entry : result.values().entrySet()) {
                try {
                    entry.getValue().get(60, TimeUnit.SECONDS);
                    LOG.info("created topic {}", entry.getKey());
                } catch (ExecutionException e) {
                    if (!(e.getCause() instanceof TopicExistsException)) {
                        throw new IllegalStateException("cannot create topic " + entry.getKey() + ": "
                                + e.getCause().getMessage(), e.getCause());
                    }
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while creating topics", e);
        } catch (TimeoutException e) {
            throw new IllegalStateException("Kafka at " + settings.bootstrapServers()
                    + " did not answer within 60 s while creating topics: is the broker up and reachable?", e);
        }
    }
}
