package io.dtrbackup.image;

import static org.assertj.core.api.Assertions.assertThat;

import io.dtrbackup.common.store.MinioObjectStore;
import io.dtrbackup.image.archive.VolumeArchiver;
import io.dtrbackup.image.docker.DockerEngine;
import io.dtrbackup.image.docker.RegistryVolume;
import io.dtrbackup.testsupport.DockerExtension;
import io.dtrbackup.testsupport.DtrSimulator;
import io.dtrbackup.testsupport.EmbeddedS3;
import io.dtrbackup.testsupport.RegistryTreeSpec;
import io.dtrbackup.testsupport.ReplicaSpec;
import io.dtrbackup.testsupport.S3Extension;
import io.dtrbackup.testsupport.SimulatedReplica;
import io.dtrbackup.testsupport.SimulatedUcp;
import java.io.InputStream;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Archive throughput beside {@code docker cp <registry container>:/storage - > /dev/null}, all in
 * the same run, median of 3 each. Not run by the build (not *Test / *IT):
 * {@code mvn -o -B -pl image-service -Dtest=ImageArchiveBenchmark -Dsurefire.failIfNoSpecifiedTests=false test}
 * ({@code -Dbenchmark.mb=2048} for another volume size; default 1024).
 */
@ExtendWith({DockerExtension.class, S3Extension.class})
class ImageArchiveBenchmark {
    private static final Logger LOG = LoggerFactory.getLogger(ImageArchiveBenchmark.class);
    private static final int RUNS = 3;

    @Test
    void archiveThroughput(DtrSimulator sim, EmbeddedS3 s3) throws Exception {
        long mb = Long.getLong("benchmark.mb", 1024);
        int large = (int) Math.max(1, (mb - 64) / 200);
        long largeBytes = (mb - 64) * 1_000_000L / large;
        RegistryTreeSpec tree = RegistryTreeSpec.small(42).withRepositories(20, 3)
                .withSmallBlobs(2000, 1024, 64 * 1024).withLargeBlobs(large, largeBytes);
        SimulatedReplica replica = sim.createReplica(ReplicaSpec.of("2.9.4", SimulatedUcp.random()).withTree(tree));
        long volumeBytes = replica.tree().totalBytes();
        DockerEngine engine = DockerEngine.unix(Path.of("/var/run/docker.sock"), Duration.ofSeconds(10),
                Duration.ofMinutes(10));
        RegistryVolume volume = RegistryVolume.locate(engine, replica.volumeName(), replica.replicaId(), null);
        MinioObjectStore store = MinioObjectStore.create(s3.endpoint(), s3.region(), s3.accessKey(), s3.secretKey(),
                64L << 20, 1);
        store.ensureBucket("bench");
        int pipeMb = Integer.getInteger("benchmark.pipeMb", 8);
        VolumeArchiver archiver = new VolumeArchiver(pipeMb, 1 << 20);
        ExecutorService writers = Executors.newCachedThreadPool();
        VolumeArchiver.Progress none = new VolumeArchiver.Progress() {
            @Override
            public void accept(long value) {
            }

            @Override
            public void files(long files) {
            }
        };
        String dockerCp = "docker cp " + volume.containerId() + ":" + volume.destination() + " - > /dev/null";
        // Warm the page cache and the JIT once.
        shell(dockerCp);
        archiver.archive(engine, volume, writers, ImageArchiveBenchmark::drain, none);

        List<Double> cp = new ArrayList<>();
        List<Double> raw = new ArrayList<>();
        List<Double> toNull = new ArrayList<>();
        List<Double> staged = new ArrayList<>();
        long tarBytes = 0;
        for (int i = 0; i < RUNS; i++) {
            long t0 = System.nanoTime();
            shell(dockerCp);
            cp.add(mbps(volumeBytes, System.nanoTime() - t0));

            t0 = System.nanoTime();
            try (DockerEngine.Response r = volume.openArchive(engine)) {
                drain(r.body());
            }
            raw.add(mbps(volumeBytes, System.nanoTime() - t0));

            t0 = System.nanoTime();
            VolumeArchiver.Archive a = archiver.archive(engine, volume, writers, ImageArchiveBenchmark::drain, none);
            toNull.add(mbps(volumeBytes, System.nanoTime() - t0));
            tarBytes = a.sizeBytes();

            String key = "images-" + i + ".tar";
            t0 = System.nanoTime();
            archiver.archive(engine, volume, writers, in -> store.put("bench", key, in, -1, Map.of(),
                    "application/x-tar"), none);
            staged.add(mbps(volumeBytes, System.nanoTime() - t0));
            store.remove("bench", key);
        }
        writers.shutdown();
        double cpMedian = median(cp);
        double nullMedian = median(toNull);
        double stagedMedian = median(staged);
        String report = String.format(
                "%nImage archive benchmark: volume %d MB of content (%d files), tar %d MB, pipe %d MiB, median of %d "
                        + "(MB/s of content)%n"
                        + "  docker cp <registry>:%s - > /dev/null : %7.1f  runs %s%n"
                        + "  raw archive read, own HTTP client       : %7.1f  runs %s  ratio %.2f x docker cp%n"
                        + "  image-service volume -> /dev/null      : %7.1f  runs %s  ratio %.2f x docker cp%n"
                        + "  image-service volume -> staged S3 obj  : %7.1f  runs %s  ratio %.2f x docker cp%n",
                volumeBytes / 1_000_000, replica.tree().entries().size(), tarBytes / 1_000_000, pipeMb, RUNS,
                volume.destination(), cpMedian, cp, median(raw), raw, median(raw) / cpMedian, nullMedian, toNull, nullMedian / cpMedian, stagedMedian, staged,
                stagedMedian / cpMedian);
        LOG.info(report);
        assertThat(nullMedian).isPositive();
    }

    private static void drain(InputStream in) throws Exception {
        byte[] buf = new byte[1 << 20];
        while (in.read(buf) >= 0) {
            // discard: measures Docker -> rewrite -> pipe -> SHA-256
        }
    }

    private static void shell(String command) throws Exception {
        Process p = new ProcessBuilder("sh", "-c", command).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        if (p.waitFor() != 0) {
            throw new IllegalStateException(command + " failed: " + out);
        }
    }

    private static double mbps(long bytes, long nanos) {
        return Math.round(bytes / 1e6 / (nanos / 1e9) * 10) / 10.0;
    }

    private static double median(List<Double> values) {
        List<Double> sorted = new ArrayList<>(values);
        sorted.sort(Double::compare);
        return sorted.get(sorted.size() / 2);
    }
}
