package io.dtrbackup.discovery;

import static io.dtrbackup.discovery.ItSupport.await;
import static io.dtrbackup.discovery.ItSupport.send;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.dtrbackup.contract.events.BackupEvent;
import io.dtrbackup.contract.events.BackupFailed;
import io.dtrbackup.contract.events.BackupIds;
import io.dtrbackup.contract.events.BackupOverdue;
import io.dtrbackup.contract.events.BackupPhase;
import io.dtrbackup.contract.events.BackupPhaseChanged;
import io.dtrbackup.contract.events.BackupRequested;
import io.dtrbackup.contract.events.ClusterBackupRecorded;
import io.dtrbackup.contract.events.Trigger;
import io.dtrbackup.contract.topics.Topics;
import io.dtrbackup.testsupport.EmbeddedKafka;
import io.dtrbackup.testsupport.KafkaExtension;
import io.vertx.core.Vertx;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * Two discovery instances (same consumer group) sharing one schedule, on a clock running 30
 * times faster than real time (a {@code * * * * *} slot every 2 s), plus the freshness check.
 * The scheduled cluster's endpoint does not exist, so each slot's backup ends in discovery as
 * BackupFailed: a terminal event per slot, which is what is counted.
 */
@ExtendWith(KafkaExtension.class)
class DiscoverySchedulingIT {
    private static final Instant BASE = Instant.parse("2026-11-25T09:59:58Z");

    @TempDir
    Path dir;

    @Test
    void twoInstancesProduceEachSlotOnceAndReportOverdueClusters(EmbeddedKafka kafka) throws Exception {
        ItSupport.ucpFiles(dir);
        Path clusters = dir.resolve("clusters.yaml");
        Files.writeString(clusters, "clusters:\n"
                + ItSupport.cluster("sched", "unix:///nonexistent.sock", "    schedule: \"* * * * *\"\n")
                + ItSupport.cluster("fresh", "unix:///nonexistent.sock", "    freshness: 26h\n")
                + ItSupport.cluster("stale", "unix:///nonexistent.sock", "    freshness: 26h\n")
                + ItSupport.cluster("never", "unix:///nonexistent.sock", null));
        Map<String, String> extra = Map.of("DTR_BACKUP_SCHEDULER_MAX_SLEEP", "100ms",
                "DTR_BACKUP_SCHEDULE_CATCH_UP", "0s", "DTR_BACKUP_FRESHNESS_CHECK_INTERVAL", "1s");
        ItSupport.FastClock clock = new ItSupport.FastClock(BASE, 30);
        Vertx vertx = Vertx.vertx();
        try (KafkaProducer<String, byte[]> producer = ItSupport.producer(kafka.bootstrapServers())) {
            // The last backups are on record before the instances start: they read them at start-up.
            var config = ItSupport.config(kafka.bootstrapServers(), clusters, extra);
            kafka.createTopic(Topics.CLUSTER_STATE.name(), 6, Topics.CLUSTER_STATE.configs());
            send(producer, Topics.CLUSTER_STATE, recorded("fresh", BASE.minus(Duration.ofHours(1))));
            send(producer, Topics.CLUSTER_STATE, recorded("stale", BASE.minus(Duration.ofHours(30))));
            await(vertx.deployVerticle(new DiscoveryVerticle(config, clock, new DockerClusterInspector(Duration.ofSeconds(5)))));
            await(vertx.deployVerticle(new DiscoveryVerticle(config, clock, new DockerClusterInspector(Duration.ofSeconds(5)))));
            try (TopicRecorder recorder = new TopicRecorder(kafka.bootstrapServers(), Topics.REQUESTS.name(),
                    Topics.STATUS.name())) {
                clock.run();
                Instant s0 = Instant.parse("2026-11-25T10:00:00Z");
                List<String> slots = List.of(s0, s0.plusSeconds(60), s0.plusSeconds(120)).stream()
                        .map(s -> BackupIds.scheduled("sched", s)).toList();

                await().atMost(Duration.ofSeconds(60)).until(() -> !recorder.forBackup(Topics.STATUS.name(),
                        BackupFailed.class, slots.get(2)).isEmpty());

                List<BackupRequested> requests = recorder.events(Topics.REQUESTS.name(), BackupRequested.class,
                        r -> r.clusterId().equals("sched"));
                Map<String, Long> perSlot = requests.stream()
                        .collect(Collectors.groupingBy(BackupRequested::backupId, Collectors.counting()));
                assertThat(requests).allSatisfy(r -> {
                    assertThat(r.trigger()).isEqualTo(Trigger.SCHEDULE);
                    assertThat(r.occurredAt()).isAfterOrEqualTo(s0); // no catch-up of 09:59
                    assertThat(r.backupId()).isEqualTo(BackupIds.scheduled("sched", r.occurredAt()));
                });
                for (String slot : slots.subList(0, 2)) {
                    assertThat(perSlot.get(slot)).as("both instances requested " + slot).isEqualTo(2);
                    assertThat(recorder.forBackup(Topics.STATUS.name(), BackupPhaseChanged.class, slot))
                            .as("one discovery of " + slot).extracting(BackupPhaseChanged::phase)
                            .containsExactly(BackupPhase.DISCOVERING);
                    List<BackupFailed> failed = recorder.forBackup(Topics.STATUS.name(), BackupFailed.class, slot);
                    assertThat(failed).as("one outcome of " + slot).hasSize(1);
                    assertThat(failed.get(0).reason()).contains("cannot reach the Docker endpoint of cluster 'sched'");
                }

                await().atMost(Duration.ofSeconds(30)).until(() -> overdue(recorder, "stale").size() >= 2
                        && overdue(recorder, "never").size() >= 2);
                BackupOverdue stale = overdue(recorder, "stale").get(0);
                assertThat(stale.backupId()).isNull();
                assertThat(stale.lastBackupId()).isEqualTo("bk-stale-0");
                assertThat(stale.lastVerifiedAt()).isEqualTo(BASE.minus(Duration.ofHours(30)));
                assertThat(stale.freshnessWindow()).isEqualTo(Duration.ofHours(26));
                assertThat(overdue(recorder, "never").get(0).lastBackupId()).isNull();
                assertThat(overdue(recorder, "fresh")).isEmpty();
            }
        } finally {
            await(vertx.close());
        }
    }

    private static List<BackupOverdue> overdue(TopicRecorder recorder, String cluster) {
        return recorder.events(Topics.STATUS.name(), BackupOverdue.class, o -> o.clusterId().equals(cluster));
    }

    private static ClusterBackupRecorded recorded(String cluster, Instant completed) {
        return new ClusterBackupRecorded(BackupEvent.CURRENT_SCHEMA_VERSION, "bk-" + cluster + "-0:recorded",
                "bk-" + cluster + "-0", cluster, completed, Fixtures.A, "2.9.4", completed);
    }
}
