package io.dtrbackup.image;

import static org.assertj.core.api.Assertions.assertThat;

import io.dtrbackup.common.docker.DockerEngine;
import io.dtrbackup.common.store.MinioObjectStore;
import io.dtrbackup.image.archive.VolumeArchiver;
import io.dtrbackup.image.docker.RegistryVolume;
import io.dtrbackup.testsupport.BenchmarkTargets;
import io.dtrbackup.testsupport.DockerExtension;
import io.dtrbackup.testsupport.DtrSimulator;
import io.dtrbackup.testsupport.EmbeddedS3;
import io.dtrbackup.testsupport.RegistryTreeSpec;
import io.dtrbackup.testsupport.ReplicaSpec;
import io.dtrbackup.testsupport.S3Extension;
import io.dtrbackup.testsupport.SimulatedReplica;
import io.dtrbackup.testsupport.SimulatedUcp;
import java.io.InputStream;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Archive throughput beside {@code docker cp <registry container>:/storage - > /dev/null}, all in
 * the same run, median of 3 each. Not run by the build (not *Test / *IT):
 * {@code mvn -o -B -pl image-service -Dtest=ImageArchiveBenchmark -Dsurefire.failIfNoSpecifiedTests=false test}
 * ({@code -Dbenchmark.mb=2048} for another volume size; default 1024). Beside each speed it prints
 * the CPU seconds per GB of content spent by the engine (dockerd and its children), by the
 * client (the {@code docker cp} CLI, or this JVM as a whole) and, for the JVM rows, by the tar
 * writer thread and the consuming (hashing) thread: with two cores and the engine needing one,
 * the client's CPU is what decides the ratio.
 *
 * <p>Target: image-service's archive path (volume -> /dev/null) at least 0.8x {@code docker cp}
 * ({@code archive-vs-docker-cp}). {@code -Dbench.check=true} fails the run when it is missed (see
 * {@link BenchmarkTargets}); without it the target is printed only.
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

        Cpu cpuCp = new Cpu();
        Cpu cpuRaw = new Cpu();
        Cpu cpuNull = new Cpu();
        Cpu cpuStaged = new Cpu();
        AtomicLong writerNanos = new AtomicLong();
        Executor timedWriters = command -> writers.execute(() -> {
            long t = THREADS.getCurrentThreadCpuTime();
            try {
                command.run();
            } finally {
                writerNanos.addAndGet(THREADS.getCurrentThreadCpuTime() - t);
            }
        });
        List<Double> cp = new ArrayList<>();
        List<Double> raw = new ArrayList<>();
        List<Double> toNull = new ArrayList<>();
        List<Double> staged = new ArrayList<>();
        long tarBytes = 0;
        String load = loadAverage();
        for (int i = 0; i < RUNS; i++) {
            long d0 = dockerdCpu();
            long t0 = System.nanoTime();
            long cli = shellChildCpu(dockerCp);
            cp.add(mbps(volumeBytes, System.nanoTime() - t0));
            cpuCp.add(dockerdCpu() - d0, cli, 0, 0);

            Snapshot s0 = Snapshot.take(writerNanos);
            t0 = System.nanoTime();
            try (DockerEngine.Response r = volume.openArchive(engine)) {
                drain(r.body());
            }
            raw.add(mbps(volumeBytes, System.nanoTime() - t0));
            cpuRaw.add(s0.until(writerNanos));

            Map<String, Long> tasks0 = THREAD_DETAIL ? taskCpu() : Map.of();
            s0 = Snapshot.take(writerNanos);
            t0 = System.nanoTime();
            VolumeArchiver.Archive a = archiver.archive(engine, volume, timedWriters, ImageArchiveBenchmark::drain,
                    none);
            toNull.add(mbps(volumeBytes, System.nanoTime() - t0));
            cpuNull.add(s0.until(writerNanos));
            if (THREAD_DETAIL) {
                Map<String, Long> tasks1 = taskCpu();
                StringBuilder top = new StringBuilder("threads of this JVM during volume -> null (CPU ms):");
                tasks1.entrySet().stream()
                        .map(e -> Map.entry(e.getKey(), e.getValue() - tasks0.getOrDefault(e.getKey(), 0L)))
                        .filter(e -> e.getValue() > 0).sorted((x, y) -> Long.compare(y.getValue(), x.getValue()))
                        .limit(12).forEach(e -> top.append(' ').append(e.getKey()).append('=').append(e.getValue()));
                LOG.info(top.toString());
            }
            tarBytes = a.sizeBytes();

            String key = "images-" + i + ".tar";
            s0 = Snapshot.take(writerNanos);
            t0 = System.nanoTime();
            archiver.archive(engine, volume, timedWriters, in -> store.put("bench", key, in, -1, Map.of(),
                    "application/x-tar"), none);
            staged.add(mbps(volumeBytes, System.nanoTime() - t0));
            cpuStaged.add(s0.until(writerNanos));
            store.remove("bench", key);
        }
        writers.shutdown();
        double gb = volumeBytes / 1e9 * RUNS;
        double cpMedian = median(cp);
        double nullMedian = median(toNull);
        double stagedMedian = median(staged);
        String report = String.format(
                "%nImage archive benchmark: volume %d MB of content (%d files), tar %d MB, pipe %d MiB, median of %d "
                        + "(MB/s of content), load average before: %s, after: %s%n"
                        + "  docker cp <registry>:%s - > /dev/null : %7.1f  runs %s%n"
                        + "  raw archive read, own HTTP client       : %7.1f  runs %s  ratio %.2f x docker cp%n"
                        + "  image-service volume -> /dev/null      : %7.1f  runs %s  ratio %.2f x docker cp%n"
                        + "  image-service volume -> staged S3 obj  : %7.1f  runs %s  ratio %.2f x docker cp%n"
                        + "  CPU s per GB of content (engine = dockerd + children; client = docker cp CLI or this JVM):%n"
                        + "    docker cp      : %s%n    raw read       : %s%n    volume -> null : %s%n"
                        + "    volume -> S3   : %s%n",
                volumeBytes / 1_000_000, replica.tree().entries().size(), tarBytes / 1_000_000, pipeMb, RUNS,
                load, loadAverage(), volume.destination(), cpMedian, cp, median(raw), raw, median(raw) / cpMedian,
                nullMedian, toNull, nullMedian / cpMedian, stagedMedian, staged, stagedMedian / cpMedian,
                cpuCp.format(gb), cpuRaw.format(gb), cpuNull.format(gb), cpuStaged.format(gb));
        BenchmarkTargets targets = BenchmarkTargets.of("ImageArchiveBenchmark").atLeast("archive-vs-docker-cp",
                "volume -> /dev/null / docker cp (MB/s of content)", nullMedian / cpMedian, 0.8);
        LOG.info(report + targets.table());
        assertThat(nullMedian).isPositive();
        targets.check();
    }

    private static final ThreadMXBean THREADS = ManagementFactory.getThreadMXBean();
    /** -Dbenchmark.threads=true: also log which threads (GC and JIT included) used the JVM's CPU. */
    private static final boolean THREAD_DETAIL = Boolean.getBoolean("benchmark.threads");

    /** CPU ms per native thread of this JVM (name from /proc, so GC and compiler threads show too). */
    private static Map<String, Long> taskCpu() throws Exception {
        Map<String, Long> cpu = new java.util.TreeMap<>();
        try (var tasks = Files.list(Path.of("/proc/self/task"))) {
            for (Path t : (Iterable<Path>) tasks::iterator) {
                try {
                    String name = Files.readString(t.resolve("comm")).trim() + "#" + t.getFileName();
                    cpu.put(name, statCpu(Files.readString(t.resolve("stat"))) / 1_000_000);
                } catch (java.io.IOException gone) {
                    // the thread ended meanwhile
                }
            }
        }
        return cpu;
    }

    /** CPU nanoseconds: engine, client (CLI or whole JVM), writer thread, calling thread. */
    private static final class Cpu {
        private long engine;
        private long client;
        private long writer;
        private long caller;

        void add(long engineNanos, long clientNanos, long writerNanos, long callerNanos) {
            engine += engineNanos;
            client += clientNanos;
            writer += writerNanos;
            caller += callerNanos;
        }

        void add(long[] d) {
            add(d[0], d[1], d[2], d[3]);
        }

        String format(double gb) {
            String s = String.format("engine %.2f, client %.2f", engine / 1e9 / gb, client / 1e9 / gb);
            if (writer > 0 || caller > 0) {
                s += String.format(" (tar writer thread %.2f, consuming thread %.2f)", writer / 1e9 / gb,
                        caller / 1e9 / gb);
            }
            return s;
        }
    }

    private record Snapshot(long dockerd, long process, long writer, long caller) {
        static Snapshot take(AtomicLong writerNanos) throws Exception {
            return new Snapshot(dockerdCpu(), processCpu(), writerNanos.get(), THREADS.getCurrentThreadCpuTime());
        }

        long[] until(AtomicLong writerNanos) throws Exception {
            return new long[] {dockerdCpu() - dockerd, processCpu() - process, writerNanos.get() - writer,
                    THREADS.getCurrentThreadCpuTime() - caller};
        }
    }

    private static long processCpu() {
        return ((com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean())
                .getProcessCpuTime();
    }

    /** utime + stime + cutime + cstime of the engine (0 when its pid file is not readable). */
    private static long dockerdCpu() throws Exception {
        Path pidFile = Path.of("/var/run/docker.pid");
        if (!Files.isReadable(pidFile)) {
            return 0;
        }
        return statCpu(Files.readString(Path.of("/proc/" + Files.readString(pidFile).trim() + "/stat")));
    }

    /** utime + stime + cutime + cstime (waited-for children) of a /proc/<pid>/stat line, in nanoseconds. */
    private static long statCpu(String stat) {
        // Fields after "(comm) ": f[0] is field 3 (state), so utime (field 14) is f[11] .. cstime (17) f[14].
        String[] f = stat.substring(stat.lastIndexOf(')') + 2).trim().split(" ");
        long ticks = Long.parseLong(f[11]) + Long.parseLong(f[12]) + Long.parseLong(f[13]) + Long.parseLong(f[14]);
        return ticks * 10_000_000L; // USER_HZ = 100
    }

    /** Runs the command in sh and returns the CPU its (waited-for) children used. */
    private static long shellChildCpu(String command) throws Exception {
        Process p = new ProcessBuilder("sh", "-c", command + " && cat /proc/$$/stat").redirectErrorStream(true)
                .start();
        String out = new String(p.getInputStream().readAllBytes()).trim();
        if (p.waitFor() != 0) {
            throw new IllegalStateException(command + " failed: " + out);
        }
        String stat = out.lines().reduce((a, b) -> b).orElseThrow();
        String[] f = stat.substring(stat.lastIndexOf(')') + 2).trim().split(" ");
        return (Long.parseLong(f[13]) + Long.parseLong(f[14])) * 10_000_000L; // the shell's children only
    }

    private static String loadAverage() throws Exception {
        String[] f = Files.readString(Path.of("/proc/loadavg")).split(" ");
        return f[0] + " " + f[1] + " " + f[2];
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
