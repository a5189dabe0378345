package io.dtrbackup.image;

import static io.dtrbackup.image.ServiceHarness.has;
import static io.dtrbackup.image.ServiceHarness.only;
import static org.assertj.core.api.Assertions.assertThat;

import io.dtrbackup.common.archive.TarListing;
import io.dtrbackup.common.clusters.ClusterSpec;
import io.dtrbackup.common.docker.DockerEngine;
import io.dtrbackup.contract.events.ArtifactFailed;
import io.dtrbackup.contract.events.ArtifactKind;
import io.dtrbackup.contract.events.ArtifactPhase;
import io.dtrbackup.contract.events.ArtifactSkipped;
import io.dtrbackup.contract.events.ArtifactStaged;
import io.dtrbackup.contract.events.BackupEvent;
import io.dtrbackup.contract.events.BackupOptions;
import io.dtrbackup.contract.events.BackupProgress;
import io.dtrbackup.contract.events.ReplicaDiscovered;
import io.dtrbackup.contract.events.StorageKind;
import io.dtrbackup.common.service.ServiceLauncher;
import io.dtrbackup.contract.layout.BackupLayout;
import io.dtrbackup.common.store.IncompleteUpload;
import io.dtrbackup.common.store.ObjectInfo;
import io.dtrbackup.common.store.ObjectStore;
import io.dtrbackup.testsupport.DockerExtension;
import io.dtrbackup.testsupport.DtrSimulator;
import io.dtrbackup.testsupport.EmbeddedKafka;
import io.dtrbackup.testsupport.EmbeddedS3;
import io.dtrbackup.testsupport.KafkaExtension;
import io.dtrbackup.testsupport.RegistryTreeGenerator;
import io.dtrbackup.testsupport.RegistryTreeSpec;
import io.dtrbackup.testsupport.ReplicaSpec;
import io.dtrbackup.testsupport.S3Extension;
import io.dtrbackup.testsupport.SimulatedReplica;
import io.dtrbackup.testsupport.SimulatedUcp;
import io.vertx.core.Vertx;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.temporal.ChronoUnit;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/** image-service against the real broker, S3 API and Docker engine with simulated DTR replicas. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@ExtendWith({KafkaExtension.class, S3Extension.class, DockerExtension.class})
class ImageServiceIT {
    private static final String SEED_GUIDANCE =
            "If you're using a different storage backend, follow the best practices recommended for that system";
    /** Backups whose staging upload loses its connection midway (see BreakingStore). */
    private final Set<String> breakBackups = ConcurrentHashMap.newKeySet();
    private ServiceHarness harness;
    private Vertx vertx;
    private DtrSimulator sim;

    @BeforeAll
    void deploy(EmbeddedKafka kafka, EmbeddedS3 s3, DtrSimulator simulator) throws Exception {
        sim = simulator;
        harness = new ServiceHarness(kafka, s3);
        vertx = Vertx.vertx();
        vertx.deployVerticle(new ImageServiceVerticle(ServiceLauncher.config(harness.env(),
                ImageServiceConfig.parameters()), new BreakingStore(harness.store, breakBackups))).toCompletionStage().toCompletableFuture().get(60, TimeUnit.SECONDS);
    }

    @AfterAll
    void undeploy() throws Exception {
        if (vertx != null) {
            vertx.close().toCompletionStage().toCompletableFuture().get(60, TimeUnit.SECONDS);
        }
        if (harness != null) {
            harness.close();
        }
    }

    @Test
    void stagesTheSeedsTarThatGnuTarRestoresByteForByte(@TempDir Path tmp) throws Exception {
        // A few thousand files: small blobs, one 300 MB blob, long and non-ASCII names, a symlink, an empty folder.
        RegistryTreeSpec spec = RegistryTreeSpec.small(7).withRepositories(25, 3).withSmallBlobs(2000, 256, 16 * 1024)
                .withLargeBlobs(1, 300_000_000L).withOddNames(true);
        SimulatedReplica replica = sim.createReplica(ReplicaSpec.of("2.9.4", SimulatedUcp.random()).withTree(spec));
        RegistryTreeGenerator tree = replica.tree();
        assertThat(tree.entries().size()).isGreaterThan(3000);
        ReplicaDiscovered event = harness.replica(replica.replicaId(), StorageKind.FILESYSTEM, replica.volumeName(),
                BackupOptions.DEFAULTS);
        harness.send(event);

        List<BackupEvent> events = harness.awaitStatus(event.backupId(), Duration.ofMinutes(3),
                has(ArtifactStaged.class, 1).or(has(ArtifactFailed.class, 1)));
        assertThat(only(events, ArtifactFailed.class)).isEmpty();
        ArtifactStaged staged = only(events, ArtifactStaged.class).get(0);
        String key = harness.layout.stagingKey(harness.clusterId, event.backupId(), ArtifactKind.IMAGES);
        assertThat(staged.kind()).isEqualTo(ArtifactKind.IMAGES);
        assertThat(staged.stagingKey()).isEqualTo(key);
        assertThat(staged.artifactName()).isEqualTo("dtr-image-backup-" + event.backupTimestamp() + ".tar");
        assertThat(staged.dtrVersion()).isEqualTo("2.9.4");
        assertThat(staged.blobCount()).isEqualTo(tree.blobDigests().size());
        List<BackupProgress> progress = only(events, BackupProgress.class);
        assertThat(progress).isNotEmpty();
        assertThat(progress).allSatisfy(p -> assertThat(p.stage()).isEqualTo(ArtifactPhase.STAGING));
        assertThat(progress.get(progress.size() - 1).bytesDone()).isEqualTo(staged.sizeBytes());
        assertThat(progress.get(progress.size() - 1).filesDone()).isPositive();

        // The object: size and SHA-256 as the event says.
        Path tar = tmp.resolve("staged.tar");
        try (InputStream in = harness.store.get(harness.layout.stagingBucket(), key)) {
            Files.copy(in, tar);
        }
        assertThat(Files.size(tar)).isEqualTo(staged.sizeBytes());
        assertThat(GnuTar.sha256(tar)).isEqualTo(staged.sha256());

        // Member names: exactly those of the seed's `tar -cf x.tar /var/lib/docker/volumes/<volume>`.
        String mountpoint = sim.docker().inspectVolumeCmd(replica.volumeName()).exec().getMountpoint();
        Path volumeDir = Path.of(mountpoint).getParent();
        List<String> names = GnuTar.list(tmp, tar);
        Path seedTar = tmp.resolve("seed.tar");
        GnuTar.run(tmp, "tar", "-cf", seedTar.toString(), volumeDir.toString());
        List<String> seedNames = GnuTar.list(tmp, seedTar);
        Files.delete(seedTar);
        assertThat(names.get(0)).isEqualTo(volumeDir.toString().substring(1) + "/");
        assertThat(names).containsExactlyInAnyOrderElementsOf(seedNames);
        TarListing listing = new TarListing();
        names.forEach(listing::add);
        assertThat(staged.entryCount()).isEqualTo(names.size());
        assertThat(staged.listingSha256()).isEqualTo(listing.sha256());

        // Bytes: GNU tar's POSIX archive of the real mount point, as the service's docs promise, with
        // the two documented exceptions made true on the host first (only these two mtimes change):
        // the volume folder, which the API does not expose, carries the volume's CreatedAt; and the
        // engine's archive has whole-second mtimes, so the data folder (the one folder the simulator
        // left with a fraction) carries its second. Mode 0701 and root:root of the folder are not set
        // here: GNU tar reads them from the host.
        Instant created = OffsetDateTime.parse(DockerEngine.forEndpoint(new ClusterSpec.DockerEndpoint(
                sim.dockerHost(), null, false), Duration.ofSeconds(10), Duration.ofSeconds(30))
                .getJson("/volumes/" + replica.volumeName()).path("CreatedAt").asText()).toInstant();
        Files.setLastModifiedTime(volumeDir, FileTime.from(created));
        Path dataDir = Path.of(mountpoint);
        Files.setLastModifiedTime(dataDir, FileTime.from(Files.getLastModifiedTime(dataDir).toInstant()
                .truncatedTo(ChronoUnit.SECONDS)));
        Path gnuTar = tmp.resolve("gnu.tar");
        GnuTar.run(tmp, "tar", "--format=posix", "--pax-option=delete=atime,delete=ctime", "--sort=name", "-cf",
                gnuTar.toString(), "-C", "/", volumeDir.toString().substring(1));
        long difference = GnuTar.firstDifference(tar, gnuTar);
        assertThat(difference).as("first byte where the staged tar differs from GNU tar's archive of %s (-1: none): "
                + "staged %s; GNU tar %s", volumeDir, GnuTar.memberAt(tar, difference),
                GnuTar.memberAt(gnuTar, difference)).isEqualTo(-1L);
        Files.delete(gnuTar);

        // GNU tar restores every file byte for byte, with its mode and mtime, folders, the symlink.
        Path root = Files.createDirectory(tmp.resolve("restore"));
        GnuTar.run(tmp, "tar", "-xpf", tar.toString(), "-C", root.toString());
        Files.delete(tar);
        assertThat(GnuTar.walk(root.resolve(mountpoint.substring(1)))).isEqualTo(tree.comparableEntries());

        // Redelivery: the staged record is republished; the object is not written again.
        ObjectInfo before = harness.store.stat(harness.layout.stagingBucket(), key).orElseThrow();
        harness.send(event);
        List<BackupEvent> again = harness.awaitStatus(event.backupId(), Duration.ofMinutes(1),
                has(ArtifactStaged.class, 2));
        List<ArtifactStaged> both = only(again, ArtifactStaged.class);
        assertThat(both.get(1)).isEqualTo(both.get(0));
        ObjectInfo after = harness.store.stat(harness.layout.stagingBucket(), key).orElseThrow();
        assertThat(after.etag()).isEqualTo(before.etag());
        assertThat(after.lastModified()).isEqualTo(before.lastModified());
        assertThat(only(again, BackupProgress.class)).hasSameSizeAs(progress);
    }

    @Test
    void archivesAnNfsVolume(@TempDir Path tmp) throws Exception {
        SimulatedReplica replica = sim.createReplica(ReplicaSpec.of("2.8.3", SimulatedUcp.random())
                .withStorage(ReplicaSpec.StorageKind.NFS).withTree(RegistryTreeSpec.small(3)));
        assertThat(replica.volumeName()).startsWith("dtr-registry-nfs-");
        ReplicaDiscovered event = harness.replica(replica.replicaId(), StorageKind.NFS, replica.volumeName(),
                BackupOptions.DEFAULTS);
        harness.send(event);
        List<BackupEvent> events = harness.awaitStatus(event.backupId(), Duration.ofMinutes(2),
                has(ArtifactStaged.class, 1).or(has(ArtifactFailed.class, 1)));
        assertThat(only(events, ArtifactFailed.class)).isEmpty();
        ArtifactStaged staged = only(events, ArtifactStaged.class).get(0);
        Path tar = tmp.resolve("nfs.tar");
        try (InputStream in = harness.store.get(harness.layout.stagingBucket(), staged.stagingKey())) {
            Files.copy(in, tar);
        }
        String mountpoint = sim.docker().inspectVolumeCmd(replica.volumeName()).exec().getMountpoint();
        assertThat(GnuTar.list(tmp, tar).get(0)).isEqualTo("var/lib/docker/volumes/" + replica.volumeName() + "/");
        Path root = Files.createDirectory(tmp.resolve("restore"));
        GnuTar.run(tmp, "tar", "-xpf", tar.toString(), "-C", root.toString());
        assertThat(GnuTar.walk(root.resolve(mountpoint.substring(1)))).isEqualTo(replica.tree().comparableEntries());
        assertThat(staged.blobCount()).isEqualTo(replica.tree().blobDigests().size());
    }

    @Test
    void externalStorageAndSkipImagesAreSkippedWithAReason() throws Exception {
        String replicaId = HexFormat.of().formatHex(ServiceHarness.randomBytes(6));
        ReplicaDiscovered external = harness.replica(replicaId, StorageKind.S3, null, BackupOptions.DEFAULTS);
        ReplicaDiscovered skip = harness.replica(replicaId, StorageKind.FILESYSTEM, "dtr-registry-" + replicaId,
                new BackupOptions(null, false, true, false, false, false, false));
        harness.send(external);
        harness.send(skip);

        ArtifactSkipped s3 = only(harness.awaitStatus(external.backupId(), Duration.ofMinutes(1),
                has(ArtifactSkipped.class, 1)), ArtifactSkipped.class).get(0);
        assertThat(s3.kind()).isEqualTo(ArtifactKind.IMAGES);
        assertThat(s3.reason()).contains("external storage (s3)").contains("metadata only");
        assertThat(s3.guidance()).isEqualTo(SEED_GUIDANCE);
        ArtifactSkipped skipped = only(harness.awaitStatus(skip.backupId(), Duration.ofMinutes(1),
                has(ArtifactSkipped.class, 1)), ArtifactSkipped.class).get(0);
        assertThat(skipped.reason()).contains("options.skipImages");
        assertNothingLeftBehind(external, "skipped for external storage");
        assertNothingLeftBehind(skip, "skipped by options.skipImages");
    }

    @Test
    void failuresAreReportedWithAReasonAndTheServiceKeepsConsuming() throws Exception {
        // Volume missing.
        String ghost = HexFormat.of().formatHex(ServiceHarness.randomBytes(6));
        ReplicaDiscovered missing = harness.replica(ghost, StorageKind.FILESYSTEM, "dtr-registry-" + ghost,
                BackupOptions.DEFAULTS);
        // Registry container gone (the volume is still there).
        SimulatedReplica gone = sim.createReplica(ReplicaSpec.of("2.9.4", SimulatedUcp.random())
                .withTree(RegistryTreeSpec.small(5)));
        sim.docker().removeContainerCmd(gone.containerId("registry")).withForce(true).exec();
        ReplicaDiscovered noContainer = harness.replica(gone.replicaId(), StorageKind.FILESYSTEM, gone.volumeName(),
                BackupOptions.DEFAULTS);
        // A cluster the registry does not know.
        ReplicaDiscovered unknown = harness.replica(ghost, StorageKind.FILESYSTEM, "dtr-registry-" + ghost,
                BackupOptions.DEFAULTS);
        unknown = new ReplicaDiscovered(unknown.schemaVersion(), unknown.eventId(), unknown.backupId(), "no-such-cluster",
                unknown.occurredAt(), unknown.trigger(), unknown.options(), unknown.replicaId(), null,
                unknown.dtrVersion(), unknown.storageKind(), unknown.volumeName(), unknown.replicaChoice(),
                unknown.expectedArtifacts(), unknown.backupTimestamp(), unknown.requestedAt());
        harness.send(missing);
        harness.send(noContainer);
        harness.send(unknown);

        ArtifactFailed f1 = failure(missing);
        assertThat(f1.reason()).contains("volume dtr-registry-" + ghost + " does not exist");
        ArtifactFailed f2 = failure(noContainer);
        assertThat(f2.reason()).contains("no container mounts volume " + gone.volumeName())
                .contains("dtr-registry-" + gone.replicaId() + " container is gone");
        ArtifactFailed f3 = failure(unknown);
        assertThat(f3.reason()).contains("no-such-cluster is not in the cluster registry");
        assertNothingLeftBehind(missing, "volume missing");
        assertNothingLeftBehind(noContainer, "registry container gone");

        // The service keeps going: a good replica after the failures is staged.
        SimulatedReplica ok = sim.createReplica(ReplicaSpec.of("2.9.4", SimulatedUcp.random())
                .withTree(RegistryTreeSpec.small(6)));
        ReplicaDiscovered good = harness.replica(ok.replicaId(), StorageKind.FILESYSTEM, ok.volumeName(),
                BackupOptions.DEFAULTS);
        harness.send(good);
        List<BackupEvent> events = harness.awaitStatus(good.backupId(), Duration.ofMinutes(1),
                has(ArtifactStaged.class, 1).or(has(ArtifactFailed.class, 1)));
        assertThat(only(events, ArtifactStaged.class)).hasSize(1);
    }

    @Test
    void aStagingUploadBrokenMidwayLeavesNoObjectAndTheServiceGoesOn() throws Exception {
        // The connection breaks after the first 64 MiB part went to the real S3 server.
        SimulatedReplica replica = sim.createReplica(ReplicaSpec.of("2.9.4", SimulatedUcp.random())
                .withTree(RegistryTreeSpec.withLarge(4, 1, 100_000_000L)));
        ReplicaDiscovered first = harness.replica(replica.replicaId(), StorageKind.FILESYSTEM, replica.volumeName(),
                BackupOptions.DEFAULTS);
        breakBackups.add(first.backupId());
        harness.send(first);
        List<BackupEvent> events = harness.awaitStatus(first.backupId(), Duration.ofMinutes(2),
                has(ArtifactFailed.class, 1).or(has(ArtifactStaged.class, 1)));
        assertThat(only(events, ArtifactStaged.class)).isEmpty();
        ArtifactFailed failed = only(events, ArtifactFailed.class).get(0);
        assertThat(failed.reason()).contains("staging the image tar failed").contains("connection reset (simulated)")
                .contains("run the backup again");
        // The broken upload had sent a part: aborting it is what leaves nothing behind.
        assertNothingLeftBehind(first, "the broken upload");

        ReplicaDiscovered second = harness.replica(replica.replicaId(), StorageKind.FILESYSTEM, replica.volumeName(),
                BackupOptions.DEFAULTS);
        harness.send(second);
        List<BackupEvent> next = harness.awaitStatus(second.backupId(), Duration.ofMinutes(2),
                has(ArtifactFailed.class, 1).or(has(ArtifactStaged.class, 1)));
        ArtifactStaged staged = only(next, ArtifactStaged.class).get(0);
        ObjectInfo object = harness.store.stat(harness.layout.stagingBucket(), staged.stagingKey()).orElseThrow();
        assertThat(object.size()).isEqualTo(staged.sizeBytes());
        assertThat(harness.store.incompleteUploads(harness.layout.stagingBucket(),
                BackupLayout.backupPrefix(harness.clusterId, second.backupId()))).isEmpty();
    }

    /**
     * No object and no incomplete multipart upload under the backup's prefix: listing objects alone
     * never shows an upload that was started and not aborted (its parts stay, invisible).
     */
    private void assertNothingLeftBehind(ReplicaDiscovered event, String what) {
        String prefix = BackupLayout.backupPrefix(harness.clusterId, event.backupId());
        assertThat(harness.store.list(harness.layout.stagingBucket(), prefix)).as("objects left by " + what)
                .isEmpty();
        assertThat(harness.store.incompleteUploads(harness.layout.stagingBucket(), prefix))
                .as("incomplete multipart uploads left by " + what).isEmpty();
    }

    private ArtifactFailed failure(ReplicaDiscovered event) {
        ArtifactFailed f = only(harness.awaitStatus(event.backupId(), Duration.ofMinutes(1),
                has(ArtifactFailed.class, 1)), ArtifactFailed.class).get(0);
        assertThat(f.kind()).isEqualTo(ArtifactKind.IMAGES);
        assertThat(f.phase()).isEqualTo(ArtifactPhase.STAGING);
        return f;
    }

    /** The real store, whose tar uploads of the listed backups lose their connection after 80 MiB. */
    private static final class BreakingStore implements ObjectStore {
        private final ObjectStore real;
        private final Set<String> breakBackups;

        BreakingStore(ObjectStore real, Set<String> breakBackups) {
            this.real = real;
            this.breakBackups = breakBackups;
        }

        @Override
        public void ensureBucket(String bucket) {
            real.ensureBucket(bucket);
        }

        @Override
        public ObjectInfo put(String bucket, String key, InputStream data, long size, Map<String, String> meta,
                String contentType) {
            if (key.endsWith(".tar") && breakBackups.stream().anyMatch(key::contains)) {
                data = new FilterInputStream(data) {
                    private long read;

                    @Override
                    public int read(byte[] b, int off, int len) throws IOException {
                        if (read > 80L << 20) {
                            throw new IOException("connection reset (simulated)");
                        }
                        int n = super.read(b, off, len);
                        read += Math.max(n, 0);
                        return n;
                    }
                };
            }
            return real.put(bucket, key, data, size, meta, contentType);
        }

        @Override
        public InputStream get(String bucket, String key) {
            return real.get(bucket, key);
        }

        @Override
        public InputStream get(String bucket, String key, long offset, long length) {
            return real.get(bucket, key, offset, length);
        }

        @Override
        public Optional<ObjectInfo> stat(String bucket, String key) {
            return real.stat(bucket, key);
        }

        @Override
        public List<ObjectInfo> list(String bucket, String prefix) {
            return real.list(bucket, prefix);
        }

        @Override
        public void remove(String bucket, String key) {
            real.remove(bucket, key);
        }

        @Override
        public List<IncompleteUpload> incompleteUploads(String bucket, String prefix) {
            return real.incompleteUploads(bucket, prefix);
        }

        @Override
        public void abortUpload(IncompleteUpload upload) {
            real.abortUpload(upload);
        }
    }
}
