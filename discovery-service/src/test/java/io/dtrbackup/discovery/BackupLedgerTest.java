package io.dtrbackup.discovery;

import static org.assertj.core.api.Assertions.assertThat;

import io.dtrbackup.contract.events.ArtifactKind;
import io.dtrbackup.contract.events.BackupCompleted;
import io.dtrbackup.contract.events.BackupEvent;
import io.dtrbackup.contract.events.BackupFailed;
import io.dtrbackup.contract.events.BackupOptions;
import io.dtrbackup.contract.events.BackupPhase;
import io.dtrbackup.contract.events.BackupPhaseChanged;
import io.dtrbackup.contract.events.ReplicaDiscovered;
import io.dtrbackup.contract.events.StorageKind;
import io.dtrbackup.contract.events.Trigger;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

class BackupLedgerTest {
    private static final Instant T0 = Instant.parse("2026-11-25T02:00:00Z");
    private static final Duration DAY = Duration.ofHours(24);

    private static BackupPhaseChanged phase(String backup, String cluster, BackupPhase phase, Instant at) {
        return new BackupPhaseChanged(BackupEvent.CURRENT_SCHEMA_VERSION, backup + ":" + phase, backup, cluster, at,
                phase, null, null);
    }

    private static ReplicaDiscovered discovered(String backup, String cluster) {
        return new ReplicaDiscovered(BackupEvent.CURRENT_SCHEMA_VERSION, backup + ":rd", backup, cluster, T0,
                Trigger.MANUAL, BackupOptions.DEFAULTS, Fixtures.A, null, "2.9.4", StorageKind.FILESYSTEM,
                "dtr-registry-" + Fixtures.A, "x", List.of(ArtifactKind.METADATA), "20261125-02_00_00", T0);
    }

    @Test
    void aStartedBackupIsInFlightUntilItsTerminalEvent() {
        BackupLedger ledger = new BackupLedger();
        ledger.apply(phase("bk-1", "prod", BackupPhase.DISCOVERING, T0));
        assertThat(ledger.inFlight("prod", "bk-2", T0, DAY)).hasValueSatisfying(e -> assertThat(e.backupId()).isEqualTo("bk-1"));
        assertThat(ledger.inFlight("prod", "bk-1", T0, DAY)).as("a backup does not block itself").isEmpty();
        assertThat(ledger.inFlight("other", "bk-2", T0, DAY)).isEmpty();

        ledger.apply(discovered("bk-1", "prod"));
        assertThat(ledger.get("bk-1").orElseThrow().discovered()).isNotNull();
        ledger.apply(phase("bk-1", "prod", BackupPhase.BACKING_UP, T0));
        assertThat(ledger.get("bk-1").orElseThrow().backingUp()).isTrue();

        ledger.apply(new BackupCompleted(1, "c", "bk-1", "prod", T0.plusSeconds(60), "m", Fixtures.A, "2.9.4", 1, List.of()));
        assertThat(ledger.inFlight("prod", "bk-2", T0, DAY)).isEmpty();
        assertThat(ledger.get("bk-1").orElseThrow().terminal()).isEqualTo("BackupCompleted");
        assertThat(ledger.get("bk-1").orElseThrow().discovered()).isNull();
    }

    @Test
    void stateOnlyMovesForward() {
        BackupLedger ledger = new BackupLedger();
        ledger.apply(BackupFailed.of("bk-1", "prod", "discovery", "x"));
        ledger.apply(phase("bk-1", "prod", BackupPhase.DISCOVERING, T0)); // late or replayed
        ledger.apply(discovered("bk-1", "prod"));
        assertThat(ledger.get("bk-1").orElseThrow().ended()).isTrue();
        assertThat(ledger.get("bk-1").orElseThrow().discovered()).isNull();
        assertThat(ledger.inFlight("prod", "bk-2", T0, DAY)).isEmpty();
    }

    @Test
    void aBackupThatNeverEndedStopsBlockingAfterTheMaximumAge() {
        BackupLedger ledger = new BackupLedger();
        ledger.apply(phase("bk-1", "prod", BackupPhase.DISCOVERING, T0));
        assertThat(ledger.inFlight("prod", "bk-2", T0.plus(Duration.ofHours(23)), DAY)).isPresent();
        assertThat(ledger.inFlight("prod", "bk-2", T0.plus(Duration.ofHours(25)), DAY)).isEmpty();
    }

    @Test
    void pruningForgetsOnlyOldEndedBackups() {
        BackupLedger ledger = new BackupLedger();
        ledger.apply(phase("old-running", "prod", BackupPhase.DISCOVERING, T0));
        ledger.apply(BackupFailed.of("old-ended", "prod", "discovery", "x"));
        ledger.apply(phase("old-ended", "prod", BackupPhase.DISCOVERING, T0));
        ledger.pruneEnded(T0.plusSeconds(1));
        assertThat(ledger.get("old-running")).isPresent();
        assertThat(ledger.get("old-ended")).isEmpty();
    }

    @Test
    void anEarlyPhaseMarksABackupStartedButNotHandedOn() {
        BackupLedger ledger = new BackupLedger();
        ledger.apply(phase("bk-9", "prod", BackupPhase.DISCOVERING, T0));
        assertThat(ledger.get("bk-9").orElseThrow().backingUp()).isFalse();
        assertThat(ledger.get("bk-9").orElseThrow().ended()).isFalse();
        ledger.apply(phase("bk-9", "prod", BackupPhase.ENCRYPTING, T0));
        assertThat(ledger.get("bk-9").orElseThrow().backingUp()).isTrue();
    }
}
