package io.dtrbackup.contract.events;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Instant;
import org.junit.jupiter.api.Test;

class BackupIdsTest {
    @Test
    void scheduledSlotsGetTheSameIdEverywhere() {
        Instant slot = Instant.parse("2026-11-25T02:00:00Z");
        assertThat(BackupIds.scheduled("c1", slot)).isEqualTo(BackupIds.scheduled("c1", slot))
                .startsWith("sch-20261125T020000Z-");
        assertThat(BackupIds.scheduled("c1", slot)).isNotEqualTo(BackupIds.scheduled("c2", slot));
        assertThat(BackupIds.newId(slot)).isNotEqualTo(BackupIds.newId(slot)).matches("bk-20261125T020000Z-[0-9a-f]{8}");
        Checks.id("backupId", BackupIds.newId(slot));
    }
}
