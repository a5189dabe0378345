package io.dtrbackup.crypto;

import io.dtrbackup.common.crypto.OpenPgpEncryptor;
import io.dtrbackup.common.crypto.PassphraseStore;
import io.dtrbackup.contract.events.ArtifactKind;
import io.dtrbackup.contract.events.ArtifactStaged;
import io.dtrbackup.contract.layout.BackupLayout;
import io.dtrbackup.common.store.MinioObjectStore;
import io.dtrbackup.testsupport.BenchmarkTargets;
import io.dtrbackup.testsupport.EmbeddedS3;
import io.dtrbackup.testsupport.S3Extension;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Encryption throughput beside stock gpg on the same data, in the same run (median of 3):
 * <ol>
 * <li>file -> ciphertext to /dev/null: {@code gpg --batch --symmetric --cipher-algo AES256 -z0}
 * vs {@link OpenPgpEncryptor} (service defaults: AES-256, S2K SHA-256 count 255, no compression);</li>
 * <li>end to end through S3Proxy: staging object -> {@link ArtifactEncryption} -> backup bucket,
 * beside a plain upload of the same file (the store's own ceiling).</li>
 * </ol>
 * One untimed warm-up pass first (the service is a long-running, JIT-compiled JVM).
 * Not a *Test/*IT, so the normal build skips it. Run:
 * {@code mvn -o -B -pl crypto-service verify -DskipITs -Dtest=EncryptionBenchmark -Dsurefire.failIfNoSpecifiedTests=false}
 * ({@code -Dbenchmark.mb=1024} sets the size, default 1 GiB of random bytes).
 *
 * <p>Targets (the figures docs/services/crypto-service.md claims on a warm JVM): the encryptor at least
 * 0.75x gpg's MB/s ({@code encryptor-vs-gpg}), and the end-to-end path at least 0.75x a plain upload of the
 * same bytes ({@code e2e-vs-upload}: the upload, not the encryption, sets the limit).
 * {@code -Dbench.check=true} fails the run when one is missed (see {@link BenchmarkTargets}).
 */
@ExtendWith(S3Extension.class)
class EncryptionBenchmark {
    private static final Logger LOG = LoggerFactory.getLogger(EncryptionBenchmark.class);
    private static final int RUNS = 3;

    @Test
    void encryptionThroughputBesideGpg(EmbeddedS3 s3) throws Exception {
        long mb = Long.getLong("benchmark.mb", 1024);
        Path dir = Files.createDirectories(Path.of("target", "benchmark"));
        Path plain = dir.resolve("plain-" + mb + "m.bin");
        Path passFile = Files.writeString(dir.resolve("passphrase"), "benchmark-passphrase\n", StandardCharsets.UTF_8);
        long size = mb << 20;
        String sha = writeRandom(plain, size);

        // 1. file -> /dev/null
        List<Double> gpg = new ArrayList<>();
        List<Double> jce = new ArrayList<>();
        Path home = Files.createDirectories(dir.resolve("gnupg"));
        Files.setPosixFilePermissions(home, java.nio.file.attribute.PosixFilePermissions.fromString("rwx------"));
        OpenPgpEncryptor encryptor = OpenPgpEncryptor.withDefaults();
        // The service is a long-running JVM: one untimed pass lets the JIT compile the hot path first.
        try (InputStream in = Files.newInputStream(plain);
                OutputStream out = encryptor.open(OutputStream.nullOutputStream(), "warm-up".toCharArray(), "w",
                        Instant.now())) {
            in.transferTo(out);
        }
        for (int i = 0; i < RUNS; i++) {
            long t0 = System.nanoTime();
            Process p = new ProcessBuilder("gpg", "--homedir", home.toString(), "--batch", "--yes", "--pinentry-mode",
                    "loopback", "--passphrase-file", passFile.toString(), "--symmetric", "--cipher-algo", "AES256",
                    "-z0", "-o", "/dev/null", plain.toString()).redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
            if (!p.waitFor(10, TimeUnit.MINUTES) || p.exitValue() != 0) {
                throw new IllegalStateException("gpg failed");
            }
            gpg.add(mbps(size, System.nanoTime() - t0));

            t0 = System.nanoTime();
            try (InputStream in = Files.newInputStream(plain);
                    OutputStream out = encryptor.open(new BufferedOutputStream(Files.newOutputStream(Path.of("/dev/null")),
                            1 << 16), "benchmark-passphrase".toCharArray(), plain.getFileName().toString(),
                            Instant.now())) {
                byte[] buf = new byte[1 << 20];
                for (int n; (n = in.read(buf)) > 0; ) {
                    out.write(buf, 0, n);
                }
            }
            jce.add(mbps(size, System.nanoTime() - t0));
        }

        // 2. end to end through S3Proxy
        MinioObjectStore store = MinioObjectStore.create(s3.endpoint(), s3.region(), s3.accessKey(), s3.secretKey(),
                64L << 20, 3);
        BackupLayout layout = new BackupLayout("bench-staging", "bench-backup");
        store.ensureBucket(layout.stagingBucket());
        store.ensureBucket(layout.backupBucket());
        ExecutorService threads = Executors.newCachedThreadPool();
        ArtifactEncryption encryption = new ArtifactEncryption(
                new ArtifactEncryption.Settings(layout, 16 << 20, 1, Duration.ofSeconds(1)), store,
                PassphraseStore.fromFile(passFile, "bench"), encryptor, threads, Clock.systemUTC());
        List<Double> e2e = new ArrayList<>();
        List<Double> upload = new ArrayList<>();
        for (int i = 0; i < RUNS; i++) {
            String backup = "bench-" + i;
            ArtifactStaged staged = TestArtifacts.event(layout, backup, ArtifactKind.IMAGES, size, sha);
            long t0 = System.nanoTime();
            try (InputStream in = Files.newInputStream(plain)) {
                store.put(layout.backupBucket(), "raw/" + backup, in, -1, Map.of(), null);
            }
            upload.add(mbps(size, System.nanoTime() - t0));
            store.remove(layout.backupBucket(), "raw/" + backup);
            try (InputStream in = Files.newInputStream(plain)) {
                store.put(layout.stagingBucket(), staged.stagingKey(), in, size, Map.of(), null);
            }
            t0 = System.nanoTime();
            ArtifactEncryption.Outcome outcome = encryption.encrypt(staged, n -> { });
            if (!(outcome instanceof ArtifactEncryption.Outcome.Encrypted done)) {
                throw new IllegalStateException("benchmark artifact failed: " + outcome);
            }
            e2e.add(mbps(size, System.nanoTime() - t0));
            store.remove(layout.backupBucket(), done.event().objectKey());
            store.remove(layout.backupBucket(), done.event().objectKey() + ".json");
        }
        threads.shutdownNow();
        Files.deleteIfExists(plain);

        double g = median(gpg);
        double j = median(jce);
        double e = median(e2e);
        double u = median(upload);
        LOG.info("EncryptionBenchmark, {} MiB of random bytes, median of {} (MB/s):\n"
                        + "  gpg --symmetric --cipher-algo AES256 -z0 -> /dev/null : {}  runs {}\n"
                        + "  OpenPgpEncryptor (JCE, SunJCE AES)    -> /dev/null : {}  runs {}  ratio to gpg {}\n"
                        + "  plain upload to S3Proxy (unknown size, 64 MiB parts): {}  runs {}\n"
                        + "  staging -> ArtifactEncryption -> backup bucket       : {}  runs {}  ratio to gpg {}, "
                        + "to plain upload {}",
                mb, RUNS, fmt(g), fmt(gpg), fmt(j), fmt(jce), fmt(j / g), fmt(u), fmt(upload), fmt(e), fmt(e2e),
                fmt(e / g), fmt(e / u));
        BenchmarkTargets targets = BenchmarkTargets.of("EncryptionBenchmark")
                .atLeast("encryptor-vs-gpg", "OpenPgpEncryptor / gpg --symmetric (MB/s)", j / g, 0.75)
                .atLeast("e2e-vs-upload", "staging -> backup bucket / plain upload (MB/s)", e / u, 0.75);
        LOG.info(targets.table());
        targets.check();
    }

    private static String writeRandom(Path file, long size) throws IOException {
        if (Files.exists(file) && Files.size(file) == size) {
            return sha256(file);
        }
        Random random = new Random(42);
        byte[] buf = new byte[1 << 20];
        MessageDigest md = sha();
        try (OutputStream out = Files.newOutputStream(file)) {
            for (long done = 0; done < size; done += buf.length) {
                random.nextBytes(buf);
                md.update(buf);
                out.write(buf);
            }
        }
        return HexFormat.of().formatHex(md.digest());
    }

    private static String sha256(Path file) throws IOException {
        MessageDigest md = sha();
        try (InputStream in = new DigestInputStream(Files.newInputStream(file), md)) {
            in.transferTo(OutputStream.nullOutputStream());
        }
        return HexFormat.of().formatHex(md.digest());
    }

    private static MessageDigest sha() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    private static double mbps(long bytes, long nanos) {
        return bytes / 1e6 / (nanos / 1e9);
    }

    private static double median(List<Double> values) {
        double[] v = values.stream().mapToDouble(Double::doubleValue).sorted().toArray();
        return v[v.length / 2];
    }

    private static String fmt(double v) {
        return String.format("%.2f", v);
    }

    private static String fmt(List<Double> v) {
        return Arrays.toString(v.stream().map(d -> String.format("%.0f", d)).toArray());
    }
}
