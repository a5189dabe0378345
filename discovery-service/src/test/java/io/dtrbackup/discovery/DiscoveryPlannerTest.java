package io.dtrbackup.discovery;

import static io.dtrbackup.discovery.Fixtures.A;
import static io.dtrbackup.discovery.Fixtures.B;
import static io.dtrbackup.discovery.Fixtures.C;
import static io.dtrbackup.discovery.Fixtures.cluster;
import static io.dtrbackup.discovery.Fixtures.inventory;
import static io.dtrbackup.discovery.Fixtures.recorded;
import static io.dtrbackup.discovery.Fixtures.replica;
import static io.dtrbackup.discovery.Fixtures.withStopped;
import static org.assertj.core.api.Assertions.assertThat;

import io.dtrbackup.common.clusters.ClusterSpec;
import io.dtrbackup.contract.events.ArtifactKind;
import io.dtrbackup.contract.events.BackupOptions;
import io.dtrbackup.contract.events.ClusterBackupRecorded;
import io.dtrbackup.contract.events.StorageKind;
import java.time.Instant;
import org.junit.jupiter.api.Test;

class DiscoveryPlannerTest {
    private static final ClusterSpec PROD = cluster("prod", null);
    private static final BackupOptions NONE = BackupOptions.DEFAULTS;
    private static final ClusterBackupRecorded LAST_ON_C = recorded("prod", "bk-1", C, Instant.parse("2026-11-24T02:00:00Z"));

    private static BackupOptions named(String replica, boolean fallback) {
        return new BackupOptions(replica, false, false, false, false, false, fallback);
    }

    private static DiscoveryPlanner.Discovered discovered(DiscoveryPlanner.Plan plan) {
        assertThat(plan).isInstanceOf(DiscoveryPlanner.Discovered.class);
        return (DiscoveryPlanner.Discovered) plan;
    }

    private static String failure(DiscoveryPlanner.Plan plan) {
        assertThat(plan).isInstanceOf(DiscoveryPlanner.Failed.class);
        return ((DiscoveryPlanner.Failed) plan).reason();
    }

    @Test
    void withoutNameOrHistoryTheLowestHealthyReplicaIdWinsWhateverTheOrder() {
        var inv = inventory(replica(C, "2.9.4", true, false), withStopped(replica(A, "2.9.4", true, false), "rethinkdb"),
                replica(B, "2.9.4", true, false));
        var d = discovered(DiscoveryPlanner.plan(PROD, NONE, inv, null));
        assertThat(d.replica().replicaId()).isEqualTo(B); // A is lower but its rethinkdb is stopped
        assertThat(d.replicaChoice()).contains("lowest replica ID of 2 healthy");
        assertThat(d.dtrVersion()).isEqualTo("2.9.4");
        assertThat(d.storageKind()).isEqualTo(StorageKind.FILESYSTEM);
        assertThat(d.volumeName()).isEqualTo("dtr-registry-" + B);
        assertThat(d.expectedArtifacts()).containsExactly(ArtifactKind.METADATA, ArtifactKind.IMAGES);
    }

    @Test
    void aStoppedNonRequiredComponentDoesNotMakeAReplicaUnhealthy() {
        var inv = inventory(withStopped(replica(A, "2.9.4", true, false), "nginx"), replica(B, "2.9.4", true, false));
        assertThat(discovered(DiscoveryPlanner.plan(PROD, NONE, inv, null)).replica().replicaId()).isEqualTo(A);
    }

    @Test
    void stickyReplicaOfTheLastCompletedBackupWins() {
        var inv = inventory(replica(A, "2.9.4", true, false), replica(C, "2.9.4", true, false));
        var d = discovered(DiscoveryPlanner.plan(PROD, NONE, inv, LAST_ON_C));
        assertThat(d.replica().replicaId()).isEqualTo(C);
        assertThat(d.replicaChoice()).startsWith("sticky").contains("bk-1");
    }

    @Test
    void namedReplicaBeatsSticky() {
        var inv = inventory(replica(A, "2.9.4", true, false), replica(B, "2.9.4", true, false),
                replica(C, "2.9.4", true, false));
        var d = discovered(DiscoveryPlanner.plan(PROD, named(B, false), inv, LAST_ON_C));
        assertThat(d.replica().replicaId()).isEqualTo(B);
        assertThat(d.replicaChoice()).contains("named in the request");
    }

    @Test
    void stoppedNamedReplicaIsReportedNotReplaced() {
        var inv = inventory(replica(A, "2.9.4", true, false), replica(B, "2.9.4", false, false));
        String reason = failure(DiscoveryPlanner.plan(PROD, named(B, false), inv, null));
        assertThat(reason).contains("replica " + B + " named in the request is not healthy")
                .contains("dtr-rethinkdb-" + B + " exited").contains("allowReplicaFallback");
    }

    @Test
    void missingNamedReplicaIsReportedWithTheReplicasFound() {
        var inv = inventory(replica(A, "2.9.4", true, false));
        String reason = failure(DiscoveryPlanner.plan(PROD, named(C, false), inv, null));
        assertThat(reason).contains(C).contains("is not in the cluster").contains(A + " (node-a, healthy)");
    }

    @Test
    void fallbackIsUsedOnlyWhenAllowedAndSaysSo() {
        var inv = inventory(replica(A, "2.9.4", true, false), replica(B, "2.9.4", false, false));
        var d = discovered(DiscoveryPlanner.plan(PROD, named(B, true), inv, null));
        assertThat(d.replica().replicaId()).isEqualTo(A);
        assertThat(d.replicaChoice()).startsWith("fallback").contains(B).contains("not healthy");
    }

    @Test
    void goneStickyReplicaFailsUnlessFallbackIsAllowed() {
        var inv = inventory(replica(A, "2.9.4", true, false), replica(B, "2.9.4", true, false));
        assertThat(failure(DiscoveryPlanner.plan(PROD, NONE, inv, LAST_ON_C)))
                .contains("replica " + C + " used by the last completed backup bk-1").contains("is not in the cluster");
        var d = discovered(DiscoveryPlanner.plan(PROD, named(null, true), inv, LAST_ON_C));
        assertThat(d.replica().replicaId()).isEqualTo(A);
        assertThat(d.replicaChoice()).startsWith("fallback");
    }

    @Test
    void noHealthyReplicaFails() {
        var inv = inventory(replica(A, "2.9.4", false, false));
        assertThat(failure(DiscoveryPlanner.plan(PROD, NONE, inv, null))).contains("no healthy DTR replica")
                .contains("dtr-registry-" + A + " exited");
        assertThat(failure(DiscoveryPlanner.plan(PROD, named(A, true), inv, null)))
                .contains("no other replica is healthy");
    }

    @Test
    void noContainersFails() {
        assertThat(failure(DiscoveryPlanner.plan(PROD, NONE, inventory(), null))).contains("no DTR containers");
    }

    @Test
    void replicasDisagreeingOnTheVersionFail() {
        var inv = inventory(replica(A, "2.9.4", true, false), replica(B, "2.9.3", false, false));
        assertThat(failure(DiscoveryPlanner.plan(PROD, NONE, inv, null)))
                .contains("disagree on DTR_VERSION").contains("2.9.3 on " + B).contains("2.9.4 on " + A);
    }

    @Test
    void containersWithoutAVersionFail() {
        var inv = inventory(replica(A, null, true, false));
        assertThat(failure(DiscoveryPlanner.plan(PROD, NONE, inv, null))).contains("no DTR_VERSION");
    }

    @Test
    void nfsVolumeMeansNfsStorage() {
        var d = discovered(DiscoveryPlanner.plan(PROD, NONE, inventory(replica(A, "2.8.2", true, true)), null));
        assertThat(d.storageKind()).isEqualTo(StorageKind.NFS);
        assertThat(d.volumeName()).isEqualTo("dtr-registry-nfs-" + A);
        assertThat(d.expectedArtifacts()).containsExactly(ArtifactKind.METADATA, ArtifactKind.IMAGES);
    }

    @Test
    void externalStorageOverrideExpectsMetadataOnly() {
        var d = discovered(DiscoveryPlanner.plan(cluster("ext", StorageKind.S3), NONE,
                inventory(replica(A, "2.9.4", true, false)), null));
        assertThat(d.storageKind()).isEqualTo(StorageKind.S3);
        assertThat(d.volumeName()).isNull();
        assertThat(d.expectedArtifacts()).containsExactly(ArtifactKind.METADATA);
    }

    @Test
    void skipImagesExpectsMetadataOnlyButKeepsTheStorage() {
        var options = new BackupOptions(null, false, true, false, false, false, false);
        var d = discovered(DiscoveryPlanner.plan(PROD, options, inventory(replica(A, "2.9.4", true, false)), null));
        assertThat(d.storageKind()).isEqualTo(StorageKind.FILESYSTEM);
        assertThat(d.expectedArtifacts()).containsExactly(ArtifactKind.METADATA);
    }

    @Test
    void replicaWithoutVolumeAndNoOverrideFails() {
        var r = replica(A, "2.9.4", true, false);
        var noVolume = new ClusterInventory.Replica(A, null, r.containers(), null, false);
        assertThat(failure(DiscoveryPlanner.plan(PROD, NONE, inventory(noVolume), null)))
                .contains("has no registry volume").contains("storage:");
    }

    @Test
    void overrideContradictingTheVolumeFails() {
        assertThat(failure(DiscoveryPlanner.plan(cluster("x", StorageKind.NFS), NONE,
                inventory(replica(A, "2.9.4", true, false)), null))).contains("says storage nfs");
    }

    @Test
    void flagsTheVersionDoesNotHaveAreInvalidOptions() {
        var inv = inventory(replica(A, "2.7.5", true, false));
        assertThat(failure(DiscoveryPlanner.plan(PROD, new BackupOptions(null, false, false, true, false, false, false),
                inv, null))).contains("ignoreEventsTable needs DTR 2.8.0").contains("2.7.5");
        assertThat(failure(DiscoveryPlanner.plan(PROD, new BackupOptions(null, false, false, false, true, false, false),
                inventory(replica(A, "2.9.4", true, false)), null))).contains("ignoreScanData needs MSR 2.9.18");
        discovered(DiscoveryPlanner.plan(PROD, new BackupOptions(null, false, false, true, true, false, false),
                inventory(replica(A, "2.9.18", true, false)), null));
    }
}
