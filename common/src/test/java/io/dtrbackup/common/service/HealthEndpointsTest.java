package io.dtrbackup.common.service;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.dtrbackup.contract.config.CommonConfig;
import io.dtrbackup.contract.config.ServiceConfig;
import io.dtrbackup.contract.events.ArtifactKind;
import io.dtrbackup.contract.events.ReplicaDiscovered;
import io.dtrbackup.contract.topics.Topics;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * /health/live, /health/ready and /metrics of the service skeleton, with no broker: topic
 * creation off, a bootstrap address nothing listens on (a consumer subscribes without one).
 */
class HealthEndpointsTest {
    private Vertx vertx;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    /** A service whose start the test completes by hand; it consumes one topic and adds a meter of its own. */
    static final class FakeService extends PipelineVerticle {
        final Promise<Void> release = Promise.promise();

        FakeService(ServiceConfig config) {
            super("fake-service", config);
        }

        @Override
        protected Future<?> startService() {
            metrics().counter("fake.service.things").increment(3);
            pipelineMeters().stage("metadata", ArtifactKind.METADATA, "staged", Duration.ofMillis(1500), 4096);
            pipelineMeters().lastSuccess("prod-eu-1", Instant.ofEpochSecond(1_700_000_000));
            pipelineMeters().backup("prod-eu-1", "completed", Duration.ofSeconds(42));
            return consume(Topics.REPLICAS, ReplicaDiscovered.class, (event, origin) -> Future.succeededFuture())
                    .compose(v -> release.future());
        }
    }

    @BeforeEach
    void setUp() {
        vertx = Vertx.vertx();
    }

    @AfterEach
    void tearDown() throws Exception {
        vertx.close().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
    }

    static ServiceConfig config(String httpPort) throws Exception {
        int closedPort;
        try (ServerSocket s = new ServerSocket(0)) {
            closedPort = s.getLocalPort();
        }
        Map<String, String> env = new HashMap<>();
        env.put(CommonConfig.KAFKA_BOOTSTRAP_SERVERS.envName(), "127.0.0.1:" + closedPort);
        env.put(CommonConfig.KAFKA_CREATE_TOPICS.envName(), "false");
        env.put(CommonConfig.HTTP_PORT.envName(), httpPort);
        return ServiceLauncher.config(env, CommonConfig.kafka());
    }

    HttpResponse<String> get(int port, String path) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path)).timeout(Duration.ofSeconds(10))
                .build(), HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void liveAtOnceReadyOnlyOnceStartedAndMetricsInPrometheusFormat() throws Exception {
        FakeService service = new FakeService(config("0"));
        Future<String> deployed = vertx.deployVerticle(service);
        await().atMost(Duration.ofSeconds(20)).until(() -> service.httpPort() > 0);
        int port = service.httpPort();

        assertThat(get(port, "/health/live").statusCode()).isEqualTo(200);
        HttpResponse<String> notReady = get(port, "/health/ready");
        assertThat(notReady.statusCode()).isEqualTo(503);
        assertThat(notReady.body()).contains("NOT READY");
        assertThat(service.ready()).isFalse();

        vertx.runOnContext(v -> service.release.complete());
        deployed.toCompletionStage().toCompletableFuture().get(20, TimeUnit.SECONDS);
        assertThat(get(port, "/health/ready").statusCode()).isEqualTo(200);

        HttpResponse<String> metrics = get(port, "/metrics");
        assertThat(metrics.statusCode()).isEqualTo(200);
        assertThat(metrics.headers().firstValue("Content-Type")).hasValueSatisfying(
                ct -> assertThat(ct).startsWith("text/plain; version=0.0.4"));
        assertThat(metrics.body())
                .contains("# TYPE dtr_backup_jobs_in_flight gauge")
                .contains("dtr_backup_jobs_in_flight{group=\"fake-service\",service=\"fake-service\",topic=\"dtr-backup.replicas\"} 0.0")
                .contains("dtr_backup_jobs_completed_total{service=\"fake-service\",topic=\"dtr-backup.replicas\"} 0.0")
                .contains("dtr_backup_jobs_failed_total{")
                .contains("dtr_backup_jobs_dead_lettered_total{")
                .contains("dtr_backup_job_duration_seconds_count{")
                .contains("dtr_backup_consumer_lag{group=\"fake-service\",service=\"fake-service\",topic=\"dtr-backup.replicas\"}")
                .contains("fake_service_things_total{service=\"fake-service\"} 3.0")
                .contains("dtr_backup_stage_duration_seconds_count{kind=\"metadata\",outcome=\"staged\",service=\"fake-service\",stage=\"metadata\"} 1")
                .contains("dtr_backup_stage_bytes_total{kind=\"metadata\",service=\"fake-service\",stage=\"metadata\"} 4096.0")
                .contains("dtr_backup_last_success_timestamp_seconds{cluster=\"prod-eu-1\",service=\"fake-service\"} 1.7E9")
                .contains("dtr_backup_backups_total{cluster=\"prod-eu-1\",outcome=\"completed\",service=\"fake-service\"} 1.0")
                .contains("jvm_memory_used_bytes{");

        assertThat(get(port, "/nothing").statusCode()).isEqualTo(404);

        vertx.undeploy(deployed.result()).toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
        assertThat(service.ready()).isFalse();
    }

    @Test
    void minusOneTurnsTheEndpointsOff() throws Exception {
        FakeService service = new FakeService(config("-1"));
        service.release.complete();
        vertx.deployVerticle(service).toCompletionStage().toCompletableFuture().get(20, TimeUnit.SECONDS);
        assertThat(service.ready()).isTrue();
        assertThat(service.httpPort()).isEqualTo(-1);
    }

    @Test
    void aTakenPortFailsTheStartWithWhatToDo() throws Exception {
        try (ServerSocket taken = new ServerSocket(0)) {
            FakeService service = new FakeService(config(String.valueOf(taken.getLocalPort())));
            service.release.complete();
            Future<String> deployed = vertx.deployVerticle(service);
            await().atMost(Duration.ofSeconds(20)).until(deployed::isComplete);
            assertThat(deployed.failed()).isTrue();
            assertThat(deployed.cause()).hasMessageContaining("cannot listen on port " + taken.getLocalPort())
                    .hasMessageContaining("DTR_BACKUP_HTTP_PORT");
        }
    }
}
