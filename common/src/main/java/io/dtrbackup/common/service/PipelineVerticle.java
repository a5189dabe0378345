package io.dtrbackup.common.service;

import io.dtrbackup.common.config.CommonConfig;
import io.dtrbackup.common.config.ServiceConfig;
import io.dtrbackup.common.kafka.EventPublisher;
import io.dtrbackup.common.kafka.JobConsumer;
import io.dtrbackup.common.kafka.KafkaSettings;
import io.dtrbackup.common.kafka.TopicCreator;
import io.dtrbackup.common.topics.Topic;
import io.dtrbackup.common.events.BackupEvent;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.WorkerExecutor;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;

/**
 * The skeleton of every dtr-backup service: Kafka settings and topic creation, an event
 * publisher, a bounded worker pool for blocking clients (docker-java, MinIO, tar and crypto
 * streams), job consumers stopped cleanly on undeploy. A service implements
 * {@link #startService()} as one composed future.
 */
public abstract class PipelineVerticle extends VerticleBase {
    protected final String serviceName;
    protected final ServiceConfig config;
    protected KafkaSettings kafka;
    protected EventPublisher publisher;
    protected WorkerExecutor workers;
    private final List<JobConsumer<?>> consumers = new ArrayList<>();

    protected PipelineVerticle(String serviceName, ServiceConfig config) {
        this.serviceName = serviceName;
        this.config = config;
    }

    @Override
    public final Future<?> start() {
        kafka = KafkaSettings.from(config);
        workers = vertx.createSharedWorkerExecutor(serviceName + "-worker", config.get(CommonConfig.WORKER_POOL_SIZE));
        Future<Void> topics = kafka.createTopics()
                ? blocking(() -> {
                    TopicCreator.ensureTopics(kafka, serviceName);
                    return null;
                })
                : Future.succeededFuture();
        return topics.compose(v -> {
            publisher = EventPublisher.create(vertx, kafka, serviceName);
            return startService();
        });
    }

    /** Starts the service's own consumers and timers once Kafka plumbing is ready. */
    protected abstract Future<?> startService();

    /** Releases the service's own resources; consumers are already stopped. */
    protected Future<?> stopService() {
        return Future.succeededFuture();
    }

    @Override
    public final Future<?> stop() {
        List<Future<Void>> stops = consumers.stream().map(c -> c.stop(Duration.ofSeconds(20))).toList();
        return Future.join(stops)
                .eventually(this::stopService)
                .eventually(() -> publisher == null ? Future.succeededFuture() : publisher.close())
                .eventually(() -> workers.close());
    }

    /** Runs blocking work on the service's bounded worker pool, unordered. */
    protected <T> Future<T> blocking(Callable<T> work) {
        return workers.executeBlocking(work, false);
    }

    /** Creates, registers and starts a job consumer in this service's consumer group. */
    protected <E extends BackupEvent> Future<Void> consume(Topic topic, Class<E> type, JobConsumer.Job<E> job) {
        return consume(topic, type, serviceName, job);
    }

    protected <E extends BackupEvent> Future<Void> consume(Topic topic, Class<E> type, String groupId,
            JobConsumer.Job<E> job) {
        JobConsumer<E> consumer = new JobConsumer<>(vertx, serviceName, topic, type,
                kafka.consumer(groupId, serviceName + "-" + topic.name() + "-" + deploymentID()), publisher,
                JobConsumer.Options.defaults(config.get(CommonConfig.MAX_CONCURRENT_JOBS)), job);
        consumers.add(consumer);
        return consumer.start();
    }
}
