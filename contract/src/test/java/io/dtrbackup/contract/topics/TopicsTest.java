package io.dtrbackup.contract.topics;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.dtrbackup.contract.events.BackupEvent;
import io.dtrbackup.contract.events.BackupRequested;
import io.dtrbackup.contract.events.SampleEvents;
import org.junit.jupiter.api.Test;

class TopicsTest {

    @Test
    void everyEventTypeHasAHomeAndNamesAreConsistent() {
        for (BackupEvent event : SampleEvents.all()) {
            assertThat(Topics.all().stream().anyMatch(t -> t.carries(event))).as(event.type()).isTrue();
        }
        for (Topic topic : Topics.all()) {
            assertThat(topic.name()).matches("dtr-backup\\.[a-z]+(-[a-z]+)*");
        }
        assertThat(Topics.all().stream().map(Topic::name).distinct().count()).isEqualTo(Topics.all().size());
    }

    @Test
    void requestsAreKeyedByClusterAndStageEventsByBackup() {
        BackupEvent request = SampleEvents.all().stream().filter(BackupRequested.class::isInstance).findFirst()
                .orElseThrow();
        assertThat(Topics.REQUESTS.keyOf(request)).isEqualTo(SampleEvents.CLUSTER);
        BackupEvent discovered = SampleEvents.all().get(1);
        assertThat(Topics.REPLICAS.keyOf(discovered)).isEqualTo(SampleEvents.BACKUP);
        assertThat(Topics.STATUS.keyOf(discovered)).isEqualTo(SampleEvents.BACKUP);
        BackupEvent overdue = SampleEvents.all().get(12);
        assertThat(Topics.STATUS.keyOf(overdue)).as("cluster-level event").isEqualTo(SampleEvents.CLUSTER);
    }

    @Test
    void refusesAnEventOnTheWrongTopic() {
        assertThatThrownBy(() -> Topics.REQUESTS.keyOf(SampleEvents.all().get(1)))
                .hasMessageContaining("does not belong on topic dtr-backup.requests");
    }
}
