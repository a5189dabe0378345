package io.dtrbackup.metadata;

import static org.assertj.core.api.Assertions.assertThat;

import io.dtrbackup.contract.events.BackupOptions;
import io.dtrbackup.contract.events.ReplicaDiscovered;
import io.dtrbackup.contract.layout.BackupLayout;
import io.dtrbackup.common.store.MinioObjectStore;
import io.dtrbackup.common.store.ObjectStore;
import io.dtrbackup.common.docker.DockerClients;
import io.dtrbackup.testsupport.BenchmarkTargets;
import io.dtrbackup.testsupport.DockerExtension;
import io.dtrbackup.testsupport.DtrSimulator;
import io.dtrbackup.testsupport.EmbeddedS3;
import io.dtrbackup.testsupport.ReplicaSpec;
import io.dtrbackup.testsupport.S3Extension;
import io.dtrbackup.testsupport.SimulatedReplica;
import io.dtrbackup.testsupport.SimulatedUcp;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Capture throughput of metadata-service (docker/dtr stdout -> SHA-256 + tar check -> multipart
 * upload into S3Proxy) beside the seed's {@code docker run -i --rm --log-driver none ... > file}
 * (docker CLI, same flags, same padded stand-in), measured in the same run: median of 3 each, and
 * the ratio. Not run by surefire/failsafe (*Test / *IT); see docs/services/metadata-service.md.
 * Size: {@code -Dbenchmark.mb=300}.
 *
 * <p>Target (docs/services/metadata-service.md): with {@code -Dbenchmark.store=discard} the capture keeps
 * up with {@code docker run > file} (ratio at least 1.0, {@code capture-vs-docker-run}); into S3Proxy it is
 * bound by the in-JVM multipart upload, and the target is the floor of the documented runs, 0.2
 * ({@code staged-capture-vs-docker-run}). {@code -Dbench.check=true}
 * fails the run when it is missed (see {@link BenchmarkTargets}).
 */
@ExtendWith({S3Extension.class, DockerExtension.class})
class MetadataCaptureBenchmark {
    private static final Logger LOG = LoggerFactory.getLogger(MetadataCaptureBenchmark.class);
    private static final String VERSION = "2.8.14";
    private static final int RUNS = 3;

    @Test
    void captureBesideDockerRunToFile(EmbeddedS3 s3, DtrSimulator sim) throws Exception {
        long pad = Long.getLong("benchmark.mb", 300) * 1_000_000L;
        SimulatedUcp ucp = SimulatedUcp.random();
        sim.installDtrImage(VERSION, ucp, pad);
        SimulatedReplica replica = sim.createReplica(ReplicaSpec.of(VERSION, ucp).withTree(null));
        Path dir = Files.createTempDirectory("metadata-bench-");
        Files.writeString(dir.resolve("pw"), ucp.password());
        Files.writeString(dir.resolve("ca.pem"), ucp.caPem());
        Files.writeString(dir.resolve("clusters.yaml"), "clusters:\n  - { id: bench, docker: { endpoint: \""
                + sim.dockerHost() + "\" }, ucp: { url: \"" + ucp.url() + "\", username: \"" + ucp.username()
                + "\", passwordFile: pw, caFile: ca.pem } }\n");
        BackupLayout layout = new BackupLayout("bench-staging", "bench-backups");
        ObjectStore s3Store = MinioObjectStore.create(s3.endpoint(), s3.region(), s3.accessKey(), s3.secretKey(),
                64L << 20, 1);
        // -Dbenchmark.store=discard: the same path with an upload that only reads the stream, to see the
        // cost of the Docker attach, pipes, hashing and tar check apart from S3.
        boolean discard = "discard".equals(System.getProperty("benchmark.store"));
        ObjectStore store = discard ? new DiscardingStore(s3Store) : s3Store;
        store.ensureBucket(layout.stagingBucket());
        store.ensureBucket(layout.backupBucket());
        int bufferMb = Integer.getInteger("benchmark.bufferMb", 8);
        ExecutorService threads = Executors.newFixedThreadPool(2);
        MetadataStager stager = new MetadataStager(new MetadataStager.Settings(layout, dir.resolve("clusters.yaml"),
                "docker/dtr", DtrSimulator.NETWORK_MODE, Duration.ofMinutes(30), Duration.ofSeconds(5), bufferMb << 20, 64 << 10), store,
                spec -> DockerClients.forEndpoint(spec.docker()), threads, Clock.systemUTC());

        List<String> args = new DtrBackupCommand(ucp.url(), ucp.username(), ucp.caPem(), false, replica.replicaId(),
                VERSION, BackupOptions.DEFAULTS).args();
        List<Double> capture = new ArrayList<>();
        List<Double> cli = new ArrayList<>();
        long size = 0;
        try {
            for (int i = 0; i < RUNS; i++) {
                // the seed's command, output to a file
                Path out = dir.resolve("out.tar");
                List<String> command = new ArrayList<>(List.of("docker", "run", "-i", "--rm", "--log-driver", "none",
                        "--network", "none", "-e", "UCP_PASSWORD", DtrSimulator.dtrImage(VERSION)));
                command.addAll(args);
                ProcessBuilder pb = new ProcessBuilder(command).redirectOutput(out.toFile())
                        .redirectError(ProcessBuilder.Redirect.DISCARD);
                pb.environment().put("UCP_PASSWORD", ucp.password()); // by name only on the command line
                long t0 = System.nanoTime();
                Process p = pb.start();
                assertThat(p.waitFor(10, TimeUnit.MINUTES)).isTrue();
                double seconds = (System.nanoTime() - t0) / 1e9;
                assertThat(p.exitValue()).isZero();
                size = Files.size(out);
                cli.add(size / 1e6 / seconds);
                Files.delete(out);

                // metadata-service's path: prepare + run (container, pipe, hash, tar check, S3 multipart)
                ReplicaDiscovered event = ItEnvironment.event("bench", replica.replicaId(), VERSION,
                        BackupOptions.DEFAULTS);
                t0 = System.nanoTime();
                MetadataStager.Outcome outcome;
                try (var run = (MetadataStager.Prepared.Run) stager.prepare(event)) {
                    outcome = stager.run(run, n -> { });
                }
                seconds = (System.nanoTime() - t0) / 1e9;
                assertThat(outcome).isInstanceOf(MetadataStager.Outcome.Staged.class);
                long staged = ((MetadataStager.Outcome.Staged) outcome).staged().sizeBytes();
                assertThat(staged).isEqualTo(size);
                capture.add(staged / 1e6 / seconds);
                store.remove(layout.stagingBucket(), layout.stagingKey("bench", event.backupId(),
                        io.dtrbackup.contract.events.ArtifactKind.METADATA));
            }
        } finally {
            threads.shutdownNow();
        }
        double c = median(capture);
        double d = median(cli);
        LOG.info(String.format(Locale.ROOT, "%n== MetadataCaptureBenchmark: %d MB metadata tar, pipe buffer %d MiB ==%n"
                + "  metadata-service capture -> %-11s : %s MB/s, median %.0f MB/s%n"
                + "  docker run ... > file (docker CLI)     : %s MB/s, median %.0f MB/s%n"
                + "  ratio capture / docker run             : %.2f", size / 1_000_000, bufferMb,
                discard ? "discard" : "S3 staging", fmt(capture), c,
                fmt(cli), d, c / d));
        BenchmarkTargets targets = BenchmarkTargets.of("MetadataCaptureBenchmark");
        if (discard) {
            targets.atLeast("capture-vs-docker-run", "capture -> discard / docker run > file (MB/s)", c / d, 1.0);
        } else {
            targets.atLeast("staged-capture-vs-docker-run", "capture -> S3 staging / docker run > file (MB/s)", c / d,
                    0.2);
        }
        LOG.info(targets.table());
        targets.check();
    }

    private static double median(List<Double> values) {
        List<Double> sorted = new ArrayList<>(values);
        Collections.sort(sorted);
        return sorted.get(sorted.size() / 2);
    }

    private static String fmt(List<Double> values) {
        return values.stream().map(v -> String.format(Locale.ROOT, "%.0f", v)).toList().toString();
    }

    /** Uploads nothing: reads the stream to its end (failing like a real upload if the stream fails). */
    private static final class DiscardingStore implements ObjectStore {
        private final ObjectStore delegate;

        DiscardingStore(ObjectStore delegate) {
            this.delegate = delegate;
        }

        @Override
        public void ensureBucket(String bucket) {
            delegate.ensureBucket(bucket);
        }

        @Override
        public io.dtrbackup.common.store.ObjectInfo put(String bucket, String key, java.io.InputStream data, long size,
                java.util.Map<String, String> userMetadata, String contentType) {
            if (size >= 0) {
                return delegate.put(bucket, key, data, size, userMetadata, contentType);
            }
            try {
                byte[] buffer = new byte[1 << 20];
                while (data.read(buffer) >= 0) {
                    // discard
                }
            } catch (java.io.IOException e) {
                throw new io.dtrbackup.common.store.ObjectStoreException("discarded upload failed: " + e.getMessage(),
                        false, e);
            }
            return new io.dtrbackup.common.store.ObjectInfo(bucket, key, -1, null, null, userMetadata);
        }

        @Override
        public java.io.InputStream get(String bucket, String key) {
            return delegate.get(bucket, key);
        }

        @Override
        public java.io.InputStream get(String bucket, String key, long offset, long length) {
            return delegate.get(bucket, key, offset, length);
        }

        @Override
        public java.util.Optional<io.dtrbackup.common.store.ObjectInfo> stat(String bucket, String key) {
            return delegate.stat(bucket, key);
        }

        @Override
        public List<io.dtrbackup.common.store.ObjectInfo> list(String bucket, String prefix) {
            return delegate.list(bucket, prefix);
        }

        @Override
        public void remove(String bucket, String key) {
            delegate.remove(bucket, key);
        }
    }
}
