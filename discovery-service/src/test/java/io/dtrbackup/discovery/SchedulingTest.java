package io.dtrbackup.discovery;

import static org.assertj.core.api.Assertions.assertThat;

import io.dtrbackup.contract.events.BackupIds;
import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.Test;

class SchedulingTest {
    private static final Schedules NIGHTLY = Schedules.parse("0 2 * * *");
    private static final Schedules EVERY_MINUTE = Schedules.parse("* * * * *");

    @Test
    void slotsAreUtcCronInstants() {
        assertThat(NIGHTLY.next(Instant.parse("2026-11-25T01:59:59Z"))).contains(Instant.parse("2026-11-25T02:00:00Z"));
        assertThat(NIGHTLY.next(Instant.parse("2026-11-25T02:00:00Z"))).contains(Instant.parse("2026-11-26T02:00:00Z"));
        assertThat(NIGHTLY.latest(Instant.parse("2026-11-25T02:00:00Z"))).contains(Instant.parse("2026-11-25T02:00:00Z"));
        assertThat(NIGHTLY.latest(Instant.parse("2026-11-25T01:59:59.900Z")))
                .contains(Instant.parse("2026-11-24T02:00:00Z"));
        assertThat(EVERY_MINUTE.latest(Instant.parse("2026-11-25T10:00:59.500Z")))
                .contains(Instant.parse("2026-11-25T10:00:00Z"));
    }

    @Test
    void aSlotHasOneBackupIdWhoeverComputesIt() {
        Instant slot = Instant.parse("2026-11-25T02:00:00Z");
        assertThat(BackupIds.scheduled("prod", slot)).isEqualTo(BackupIds.scheduled("prod", slot))
                .startsWith("sch-20261125T020000Z-")
                .isNotEqualTo(BackupIds.scheduled("prod", slot.plusSeconds(86400)))
                .isNotEqualTo(BackupIds.scheduled("test", slot));
    }

    @Test
    void startWaitsForTheNextSlotOrCatchesUpTheLatestRecentOne() {
        Instant now = Instant.parse("2026-11-25T02:05:00Z");
        assertThat(SlotPlanner.firstSlot(NIGHTLY, now, Duration.ofMinutes(10))).contains(Instant.parse("2026-11-25T02:00:00Z"));
        assertThat(SlotPlanner.firstSlot(NIGHTLY, now, Duration.ofMinutes(4))).contains(Instant.parse("2026-11-26T02:00:00Z"));
        assertThat(SlotPlanner.firstSlot(NIGHTLY, now, Duration.ZERO)).contains(Instant.parse("2026-11-26T02:00:00Z"));
    }

    @Test
    void onlyTheLatestDueSlotFiresAndEarlierOnesAreReportedMissed() {
        Instant pending = Instant.parse("2026-11-25T10:00:00Z");
        SlotPlanner.Due notYet = SlotPlanner.due(EVERY_MINUTE, pending, pending.minusMillis(1));
        assertThat(notYet.fire()).isEmpty();
        assertThat(notYet.next()).isEqualTo(pending);

        SlotPlanner.Due onTime = SlotPlanner.due(EVERY_MINUTE, pending, pending.plusMillis(5));
        assertThat(onTime.fire()).contains(pending);
        assertThat(onTime.missed()).isEmpty();
        assertThat(onTime.next()).isEqualTo(Instant.parse("2026-11-25T10:01:00Z"));

        SlotPlanner.Due late = SlotPlanner.due(EVERY_MINUTE, pending, Instant.parse("2026-11-25T10:03:30Z"));
        assertThat(late.fire()).contains(Instant.parse("2026-11-25T10:03:00Z"));
        assertThat(late.missed()).containsExactly(pending, Instant.parse("2026-11-25T10:01:00Z"),
                Instant.parse("2026-11-25T10:02:00Z"));
        assertThat(late.next()).isEqualTo(Instant.parse("2026-11-25T10:04:00Z"));
    }
}
