package io.dtrbackup.common.service;

import io.dtrbackup.contract.config.CommonConfig;
import io.dtrbackup.contract.config.ServiceConfig;
import io.dtrbackup.common.kafka.EventPublisher;
import io.dtrbackup.common.kafka.JobConsumer;
import io.dtrbackup.common.kafka.KafkaSettings;
import io.dtrbackup.common.kafka.TopicCreator;
import io.dtrbackup.common.metrics.ConsumerLag;
import io.dtrbackup.common.metrics.HealthServer;
import io.dtrbackup.common.metrics.PipelineMeters;
import io.dtrbackup.common.metrics.ServiceMetrics;
import io.dtrbackup.common.store.ObjectStore;
import io.dtrbackup.common.store.StaleUploadSweeper;
import io.dtrbackup.contract.topics.Topic;
import io.dtrbackup.contract.events.BackupEvent;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.WorkerExecutor;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The skeleton of every dtr-backup service: Kafka settings and topic creation, an event
 * publisher, a bounded worker pool for blocking clients (docker-java, MinIO, tar and crypto
 * streams), job consumers stopped cleanly on undeploy. A service implements
 * {@link #startService()} as one composed future.
 * <p>
 * Every service also serves {@code /health/live}, {@code /health/ready} and {@code /metrics} on
 * {@code DTR_BACKUP_HTTP_PORT} (0 = a free port, logged; -1 = off), with the skeleton's meters
 * (jobs in flight, completed, failed, dead-lettered per consumer; consumer lag per topic) and
 * whatever the service adds to {@link #metrics()} (names in {@link PipelineMeters}).
 */
public abstract class PipelineVerticle extends VerticleBase {
    private static final Logger LOG = LoggerFactory.getLogger(PipelineVerticle.class);
    /** How often consumer lag is measured (on a worker, with an Admin client). */
    private static final long LAG_INTERVAL_MS = 15_000;

    protected final String serviceName;
    protected final ServiceConfig config;
    protected KafkaSettings kafka;
    protected EventPublisher publisher;
    protected WorkerExecutor workers;
    private final List<JobConsumer<?>> consumers = new ArrayList<>();
    private final ServiceMetrics serviceMetrics;
    private volatile boolean ready;
    private volatile HealthServer health;
    private ConsumerLag lag;
    private long lagTimer = -1;
    private boolean measuring;
    private long sweepTimer = -1;
    private boolean sweeping;

    protected PipelineVerticle(String serviceName, ServiceConfig config) {
        this.serviceName = serviceName;
        this.config = config;
        this.serviceMetrics = new ServiceMetrics(serviceName);
    }

    @Override
    public final Future<?> start() {
        kafka = KafkaSettings.from(config);
        workers = vertx.createSharedWorkerExecutor(serviceName + "-worker", config.get(CommonConfig.WORKER_POOL_SIZE));
        lag = new ConsumerLag(serviceMetrics.registry(), kafka.admin(serviceName + "-lag-" + deploymentID()));
        // Up first, so liveness answers (and readiness says 503) while Kafka and the service start.
        return startHealthServer().compose(h -> startPipeline()).onSuccess(v -> {
            ready = true;
            lagTimer = vertx.setPeriodic(1_000, LAG_INTERVAL_MS, t -> measureLag());
        });
    }

    private Future<?> startPipeline() {
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
        ready = false;
        if (lagTimer >= 0) {
            vertx.cancelTimer(lagTimer);
        }
        if (sweepTimer >= 0) {
            vertx.cancelTimer(sweepTimer);
        }
        // Closing the Admin client blocks briefly: on a worker, alongside the consumers' drain.
        Future<Void> lagClosed = lag == null ? Future.succeededFuture() : blocking(() -> {
            lag.close();
            return null;
        });
        List<Future<Void>> stops = consumers.stream().map(c -> c.stop(Duration.ofSeconds(20))).toList();
        return Future.join(stops)
                .eventually(() -> lagClosed)
                .eventually(this::stopService)
                .eventually(() -> publisher == null ? Future.succeededFuture() : publisher.close())
                .eventually(() -> workers.close())
                .eventually(() -> health == null ? Future.succeededFuture() : health.close())
                .eventually(() -> {
                    serviceMetrics.close();
                    return Future.succeededFuture();
                });
    }

    /** The service's meter registry (tagged service=name), served on {@code /metrics}. */
    protected MeterRegistry metrics() {
        return serviceMetrics.registry();
    }

    /** The pipeline's shared meters (stage outcomes, backups, last success per cluster) on {@link #metrics()}. */
    protected PipelineMeters pipelineMeters() {
        return serviceMetrics.pipeline();
    }

    /** True once start() completed (consumers subscribed) and until stop() begins: {@code /health/ready}. */
    public boolean ready() {
        return ready;
    }

    /** The port of /health and /metrics, or -1 when off or not started. */
    public int httpPort() {
        return health == null ? -1 : health.port();
    }

    private Future<Void> startHealthServer() {
        Integer port = config.get(CommonConfig.HTTP_PORT);
        if (port == null || port < 0) {
            LOG.info("{}: health and metrics endpoints off ({}={})", serviceName, CommonConfig.HTTP_PORT.envName(), port);
            return Future.succeededFuture();
        }
        return HealthServer.start(vertx, port, this::ready, serviceMetrics::scrape)
                .recover(e -> Future.failedFuture(new IllegalStateException(serviceName + " cannot listen on port "
                        + port + " for /health and /metrics (" + e.getMessage() + "): choose another "
                        + CommonConfig.HTTP_PORT.envName() + ", or 0 for any free port", e)))
                .map(h -> {
                    health = h;
                    LOG.info("{}: health and metrics on port {} ({}, {}, {})", serviceName, h.port(), HealthServer.LIVE,
                            HealthServer.READY, HealthServer.METRICS);
                    return null;
                });
    }

    private void measureLag() {
        if (measuring) {
            return; // the last one still waits on Kafka: don't pile up workers
        }
        measuring = true;
        // Blocking Admin calls: on the worker pool, never the event loop.
        workers.executeBlocking(() -> {
            lag.measure();
            return null;
        }, false).onComplete(ar -> measuring = false);
    }

    private void instrument(JobConsumer<?> consumer, Topic topic, String groupId) {
        MeterRegistry r = serviceMetrics.registry();
        Gauge.builder(PipelineMeters.JOBS_IN_FLIGHT, consumer, JobConsumer::runningJobs)
                .description("jobs this consumer runs now").tags("topic", topic.name(), "group", groupId)
                .strongReference(true).register(r);
        Counter completed = Counter.builder(PipelineMeters.JOBS_COMPLETED).description("jobs whose output was written")
                .tags("topic", topic.name()).register(r);
        Counter failed = Counter.builder(PipelineMeters.JOBS_FAILED)
                .description("job attempts that failed (retried with back-off, then dead-lettered)")
                .tags("topic", topic.name()).register(r);
        Counter dead = Counter.builder(PipelineMeters.JOBS_DEAD_LETTERED)
                .description("records sent to the dead-letter topic").tags("topic", topic.name()).register(r);
        Timer duration = Timer.builder(PipelineMeters.JOB_DURATION).description("time from a record's job start to "
                + "its output written").tags("topic", topic.name()).register(r);
        consumer.listener(new JobConsumer.Listener() {
            @Override
            public void jobCompleted(Duration took) {
                completed.increment();
                duration.record(took);
            }

            @Override
            public void jobFailed() {
                failed.increment();
            }

            @Override
            public void deadLettered() {
                dead.increment();
            }
        });
        lag.track(topic.name(), groupId);
    }

    /**
     * Aborts, now and every {@code STALE_UPLOAD_SWEEP_INTERVAL}, the multipart uploads in the buckets
     * this service writes that a killed writer left (see {@link StaleUploadSweeper}). Runs on the worker
     * pool and never delays start-up; a failed pass is logged and the next one tries again.
     */
    protected void sweepStaleUploads(ObjectStore store, List<String> buckets) {
        Duration interval = config.get(CommonConfig.STALE_UPLOAD_SWEEP_INTERVAL);
        if (interval.isZero() || interval.isNegative()) {
            LOG.info("{}: sweep of abandoned multipart uploads off ({}={})", serviceName,
                    CommonConfig.STALE_UPLOAD_SWEEP_INTERVAL.envName(), interval);
            return;
        }
        StaleUploadSweeper sweeper = new StaleUploadSweeper(store, buckets,
                config.get(CommonConfig.STALE_UPLOAD_AGE), Clock.systemUTC());
        // On the verticle's context: callers may be on a worker (where the store is built).
        context.runOnContext(v -> sweepTimer = vertx.setPeriodic(0, interval.toMillis(), t -> {
            if (sweeping) {
                return; // the last pass still runs: don't pile up workers
            }
            sweeping = true;
            workers.executeBlocking(sweeper::sweep, false).onComplete(ar -> {
                sweeping = false;
                if (ar.failed()) {
                    LOG.warn("{}: the sweep of abandoned multipart uploads in {} failed ({}); next try in {}",
                            serviceName, buckets, ar.cause().getMessage(), interval);
                }
            });
        }));
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
        Map<String, String> consumerConfig = kafka.consumer(groupId, serviceName + "-" + topic.name() + "-"
                + deploymentID());
        // A revoked partition waits for its job as long as max.poll.interval.ms allows (14 of 15 min by default).
        JobConsumer.Options options = JobConsumer.Options.defaults(config.get(CommonConfig.MAX_CONCURRENT_JOBS))
                .withRevokeTimeout(JobConsumer.revokeTimeoutFor(consumerConfig));
        JobConsumer<E> consumer = new JobConsumer<>(vertx, serviceName, topic, type, consumerConfig, publisher, options,
                job);
        instrument(consumer, topic, groupId);
        consumers.add(consumer);
        return consumer.start();
    }
}
