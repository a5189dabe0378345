package io.dtrbackup.common.kafka;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.dtrbackup.contract.events.BackupRequested;
import io.dtrbackup.contract.topics.Topic;
import java.time.Duration;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The revoke timeout's defaults and its cut below max.poll.interval.ms; no broker needed. */
class JobConsumerOptionsTest {
    private static final Topic TOPIC = new Topic("jobs", Topic.KeyedBy.BACKUP, Set.of(BackupRequested.class), Map.of(),
            "test jobs");

    private static JobConsumer<BackupRequested> consumer(Map<String, String> config, JobConsumer.Options options) {
        return new JobConsumer<>(null, "options-test", TOPIC, BackupRequested.class, config, null, options, null);
    }

    @Test
    void defaultsWaitFourteenMinutesBelowAFifteenMinutePollInterval() {
        JobConsumer.Options options = JobConsumer.Options.defaults(3);
        assertThat(options.maxConcurrentJobs()).isEqualTo(3);
        assertThat(options.revokeTimeout()).isEqualTo(Duration.ofMinutes(14));
        assertThat(new JobConsumer.Options(1, 2, Duration.ofSeconds(1), Duration.ofSeconds(2)).revokeTimeout())
                .isEqualTo(Duration.ofMinutes(14));
        assertThat(consumer(Map.of("group.id", "g"), options).revokeWait()).isEqualTo(Duration.ofMinutes(14));
        assertThat(consumer(Map.of("group.id", "g"), options).groupId()).isEqualTo("g");
    }

    @Test
    void aRevokeTimeoutNotBelowMaxPollIntervalIsCutSoTheMemberIsNotEvictedWhileWaiting() {
        JobConsumer.Options options = JobConsumer.Options.defaults(1);
        assertThat(consumer(Map.of("max.poll.interval.ms", "60000"), options).revokeWait())
                .isEqualTo(Duration.ofSeconds(56));
        assertThat(consumer(Map.of("max.poll.interval.ms", "60000"), options.withRevokeTimeout(Duration.ofSeconds(5)))
                .revokeWait()).isEqualTo(Duration.ofSeconds(5));
        assertThat(JobConsumer.revokeTimeoutFor(Map.of())).isEqualTo(Duration.ofMinutes(14));
        assertThat(JobConsumer.revokeTimeoutFor(Map.of("max.poll.interval.ms", "3600000")))
                .isEqualTo(Duration.ofMinutes(56));
        assertThatThrownBy(() -> options.withRevokeTimeout(Duration.ofSeconds(-1)))
                .isInstanceOf(IllegalArgumentException.class);
    }
}
