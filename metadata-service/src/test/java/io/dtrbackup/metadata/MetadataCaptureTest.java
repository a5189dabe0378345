package io.dtrbackup.metadata;

import static org.assertj.core.api.Assertions.assertThat;

import io.dtrbackup.common.store.InMemoryObjectStore;
import io.dtrbackup.testsupport.DtrMetadataTar;
import java.io.IOException;
import java.io.InputStream;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class MetadataCaptureTest {
    private static final String BUCKET = "staging";
    private static final String KEY = "c1/bk-1/metadata.tar";
    private ExecutorService executor;
    private InMemoryObjectStore store;

    @BeforeEach
    void setUp() {
        executor = Executors.newFixedThreadPool(2);
        store = new InMemoryObjectStore();
        store.ensureBucket(BUCKET);
    }

    @AfterEach
    void tearDown() {
        executor.shutdownNow();
    }

    /** Writes {@code data} in frames of odd sizes through a tiny pipe, as the attach thread does. */
    private MetadataCapture.Result capture(byte[] data, int exitCode, AtomicLong progress) throws Exception {
        MetadataCapture capture = new MetadataCapture("2.9.4", 4096, 1024, progress::set);
        capture.start(executor, store, BUCKET, KEY, Map.of("kind", "metadata"));
        CompletableFuture<Void> attach = CompletableFuture.runAsync(() -> {
            int frame = 1000;
            int off = 0;
            while (off < data.length) {
                int end = Math.min(data.length, off + frame);
                capture.stdout(java.util.Arrays.copyOfRange(data, off, end));
                off = end;
                frame = frame == 1000 ? 7777 : 1000;
            }
            capture.stderr("INFO[0000] Backup finished\n".getBytes());
        });
        attach.get(30, TimeUnit.SECONDS);
        capture.finish(exitCode);
        return capture.await(30, TimeUnit.SECONDS);
    }

    private static String sha256(byte[] data) throws Exception {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(data));
    }

    @Test
    void storesTheStreamByteForByteWithItsDigest() throws Exception {
        byte[] tar = DtrMetadataTar.bytes("2.9.4", true, false, false, 300_000);
        AtomicLong progress = new AtomicLong();
        MetadataCapture.Result result = capture(tar, 0, progress);
        assertThat(result.failure()).isNull();
        assertThat(result.bytes()).isEqualTo(tar.length);
        assertThat(result.sha256()).isEqualTo(sha256(tar));
        assertThat(result.tar().topFolder()).isEqualTo("dtr-backup-v2.9.4-online/");
        assertThat(progress.get()).isEqualTo(tar.length);
        try (InputStream in = store.get(BUCKET, KEY)) {
            assertThat(in.readAllBytes()).isEqualTo(tar);
        }
    }

    @Test
    void aNonZeroExitLeavesNoObject() throws Exception {
        byte[] tar = DtrMetadataTar.bytes("2.9.4", true, false, false, 0);
        MetadataCapture.Result result = capture(tar, 1, new AtomicLong());
        assertThat(result.failure()).contains("exited with code 1");
        assertThat(store.exists(BUCKET, KEY)).isFalse();
    }

    @Test
    void anInvalidTarLeavesNoObject() throws Exception {
        byte[] tar = DtrMetadataTar.bytes("2.9.4", true, false, false, 0);
        byte[] cut = java.util.Arrays.copyOf(tar, tar.length - 1024);
        MetadataCapture.Result result = capture(cut, 0, new AtomicLong());
        assertThat(result.failure()).contains("end-of-archive");
        assertThat(store.exists(BUCKET, KEY)).isFalse();
    }

    @Test
    void aFailedUploadNeverBlocksTheContainerOutput() throws Exception {
        store.setUnavailable(true);
        byte[] big = new byte[2_000_000]; // 500 times the pipe
        MetadataCapture.Result result = capture(big, 0, new AtomicLong());
        assertThat(result.failure()).startsWith("staging upload failed");
    }

    @Test
    void keepsTheStderrTail() throws Exception {
        MetadataCapture capture = new MetadataCapture("2.9.4", 4096, 16, n -> { });
        capture.stderr("0123456789abcdefFATAL: boom".getBytes());
        assertThat(capture.stderrTail()).isEqualTo("abcdefFATAL: boom".substring(1));
    }
}
