package io.dtrbackup.verify;

import io.dtrbackup.contract.events.ArtifactKind;
import io.dtrbackup.testsupport.BenchmarkTargets;
import io.dtrbackup.testsupport.RegistryTreeGenerator;
import io.dtrbackup.testsupport.RegistryTreeSpec;
import io.dtrbackup.common.crypto.Decrypted;
import io.dtrbackup.common.crypto.OpenPgpDecryptor;
import java.io.BufferedOutputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Verification throughput beside {@code gpg -d <file> | tar -t > /dev/null} on the same object,
 * median of 3 runs each, and the ratio. Not run by surefire/failsafe (*Test / *IT only):
 * {@code mvn -o -B -pl verify-service -am install -DskipTests} then
 * {@code mvn -o -B -pl verify-service surefire:test -Dtest=VerifyBenchmark -Dverify.bench.mb=1024}.
 *
 * <p>The artifact is a registry-like tar (large random blobs plus small files); verification is the
 * whole job: decrypt with the MDC checked, plaintext SHA-256, ciphertext SHA-256, tar walk and every
 * blob re-hashed against its path. gpg only decrypts and lists.
 *
 * <p>Target: the fast path at least 0.5x gpg's MB/s ({@code verify-vs-gpg}). {@code -Dbench.check=true}
 * fails the run when it is missed (see {@link BenchmarkTargets}); without it the target is printed only.
 * {@code -Dverify.bench.runs=N} sets the number of timed runs (3).
 */
class VerifyBenchmark {
    private static final Logger LOG = LoggerFactory.getLogger(VerifyBenchmark.class);
    static final String PASS = "benchmark passphrase";

    @Test
    void verifyBesideGpgDecryptAndList() throws Exception {
        long mb = Long.getLong("verify.bench.mb", 1024);
        int runs = Integer.getInteger("verify.bench.runs", 3);
        Path dir = Files.createDirectories(Path.of("target", "verify-bench"));
        Path tar = dir.resolve("images-" + mb + ".tar");
        Path gpgFile = dir.resolve("images-" + mb + ".tar.gpg");
        long blobBytes = 64L << 20;
        int large = (int) Math.max(1, (mb << 20) / blobBytes);
        try (Gpg gpg = new Gpg(dir)) {
            Path passFile = gpg.passphraseFile("pass", PASS);
            if (!Files.exists(gpgFile)) {
                try (OutputStream out = new BufferedOutputStream(Files.newOutputStream(tar), 1 << 20)) {
                    new RegistryTreeGenerator(RegistryTreeSpec.withLarge(42, large, blobBytes)).writeTar(out);
                }
                gpg.encrypt(tar, gpgFile, passFile, false);
                Files.delete(tar);
            }
            long size = Files.size(gpgFile);
            gpg.decryptAndList(gpgFile, passFile); // warm the page cache and the agent
            List<Double> gpgSeconds = new ArrayList<>();
            List<Double> fastSeconds = new ArrayList<>();
            long blobs = 0;
            for (int i = 0; i < runs + 1; i++) { // run 0 warms the JIT and is not counted
                long start = System.nanoTime();
                Decrypted<TarReport> d = OpenPgpDecryptor.decrypt(() -> Files.newInputStream(gpgFile), PASS.toCharArray(),
                        new TarInspector(ArtifactKind.IMAGES, n -> { }));
                if (!d.method().equals(OpenPgpDecryptor.FAST_METHOD)) {
                    throw new AssertionError("the fast path did not run: " + d.method());
                }
                double s = (System.nanoTime() - start) / 1e9;
                if (d.value() == null || !d.value().problems().isEmpty()) {
                    throw new AssertionError("verification found problems: " + d.value() + " " + d.consumerError());
                }
                blobs = d.value().blobsChecked();
                if (i > 0) {
                    fastSeconds.add(s);
                    gpgSeconds.add(gpg.decryptAndList(gpgFile, passFile));
                }
            }
            long start = System.nanoTime();
            OpenPgpDecryptor.decryptStandard(() -> Files.newInputStream(gpgFile), PASS.toCharArray(),
                    new TarInspector(ArtifactKind.IMAGES, n -> { }));
            double bcSeconds = (System.nanoTime() - start) / 1e9;
            double gpgMbs = size / 1e6 / median(gpgSeconds);
            double fastMbs = size / 1e6 / median(fastSeconds);
            String report = String.format("%nverify benchmark: %d MB object, %d blobs, %d runs (median)%n"
                    + "  gpg -d | tar -t          : %7.0f MB/s  (runs %s s)%n"
                    + "  verify (fast CFB path)   : %7.0f MB/s  (runs %s s)  decrypt+MDC+SHA-256 x2+tar walk+blob re-hash%n"
                    + "  verify (Bouncy Castle)   : %7.0f MB/s  (1 run)%n"
                    + "  ratio fast / gpg         : %7.2f%n",
                    size / 1_000_000, blobs, runs, gpgMbs, round(gpgSeconds), fastMbs, round(fastSeconds),
                    size / 1e6 / bcSeconds, fastMbs / gpgMbs);
            BenchmarkTargets targets = BenchmarkTargets.of("VerifyBenchmark")
                    .atLeast("verify-vs-gpg", "verify fast path / gpg -d | tar -t (MB/s)", fastMbs / gpgMbs, 0.5);
            report += targets.table();
            LOG.info(report);
            Files.writeString(dir.resolve("result.txt"), report);
            targets.check();
        }
    }

    private static double median(List<Double> values) {
        List<Double> sorted = new ArrayList<>(values);
        Collections.sort(sorted);
        return sorted.get(sorted.size() / 2);
    }

    private static List<String> round(List<Double> values) {
        return values.stream().map(v -> String.format("%.2f", v)).toList();
    }
}
