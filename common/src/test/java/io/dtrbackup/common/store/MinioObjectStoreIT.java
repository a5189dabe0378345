package io.dtrbackup.common.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import com.google.common.collect.HashMultimap;
import io.minio.MinioAsyncClient;
import io.minio.messages.Part;

import io.dtrbackup.testsupport.EmbeddedS3;
import io.dtrbackup.testsupport.S3Extension;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.security.MessageDigest;
import java.time.Clock;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** The MinIO-SDK object store against a real S3 API server (S3Proxy, SigV4 on). */
@ExtendWith(S3Extension.class)
class MinioObjectStoreIT {
    private static final long PART = 5L * 1024 * 1024;

    private final EmbeddedS3 s3;
    private MinioObjectStore store;
    private String bucket;

    MinioObjectStoreIT(EmbeddedS3 s3) {
        this.s3 = s3;
    }

    @BeforeEach
    void setUp() {
        store = MinioObjectStore.create(s3.endpoint(), s3.region(), s3.accessKey(), s3.secretKey(), PART, 2);
        bucket = "it-" + UUID.randomUUID().toString().substring(0, 8);
        store.ensureBucket(bucket);
        store.ensureBucket(bucket); // idempotent
    }

    @Test
    void streamsObjectsOfUnknownSizeInPartsAndReadsThemBack() throws Exception {
        byte[] data = new byte[(int) (PART * 2 + 12345)];
        new Random(7).nextBytes(data);
        store.put(bucket, "c1/bk-1/images.tar", new ByteArrayInputStream(data), -1,
                Map.of("backup-id", "bk-1", "kind", "images"), "application/x-tar");

        ObjectInfo info = store.stat(bucket, "c1/bk-1/images.tar").orElseThrow();
        assertThat(info.size()).isEqualTo(data.length);
        assertThat(info.userMetadata()).containsEntry("backup-id", "bk-1").containsEntry("kind", "images");
        try (InputStream in = store.get(bucket, "c1/bk-1/images.tar")) {
            assertThat(sha256(in)).isEqualTo(sha256(new ByteArrayInputStream(data)));
        }
        try (InputStream in = store.get(bucket, "c1/bk-1/images.tar", PART - 10, 20)) {
            byte[] range = in.readAllBytes();
            assertThat(range).hasSize(20);
            assertThat(range[0]).isEqualTo(data[(int) PART - 10]);
        }
        store.put(bucket, "c1/bk-1/manifest.json", new ByteArrayInputStream("{}".getBytes()), 2, Map.of(), null);
        store.put(bucket, "c2/bk-9/manifest.json", new ByteArrayInputStream("{}".getBytes()), 2, Map.of(), null);
        assertThat(store.list(bucket, "c1/")).extracting(ObjectInfo::key)
                .containsExactlyInAnyOrder("c1/bk-1/images.tar", "c1/bk-1/manifest.json");

        store.remove(bucket, "c1/bk-1/images.tar");
        store.remove(bucket, "c1/bk-1/images.tar"); // no error when already gone
        assertThat(store.stat(bucket, "c1/bk-1/images.tar")).isEmpty();
    }

    @Test
    void partsSentWithSignedPayloadsReadBackTheSame() throws Exception {
        // The default sends parts as UNSIGNED-PAYLOAD (the test above); S3_SIGN_PART_PAYLOADS=true is the SDK's way.
        MinioObjectStore signed = MinioObjectStore.create(s3.endpoint(), s3.region(), s3.accessKey(), s3.secretKey(),
                PART, 2, true, 1);
        byte[] data = new byte[(int) (PART * 2 + 999)];
        new Random(11).nextBytes(data);
        signed.put(bucket, "c1/bk-s/images.tar", new ByteArrayInputStream(data), -1, Map.of(), null);
        try (InputStream in = store.get(bucket, "c1/bk-s/images.tar")) {
            assertThat(sha256(in)).isEqualTo(sha256(new ByteArrayInputStream(data)));
        }
    }

    @Test
    void anUploadWhoseStreamFailsLeavesNoObject() {
        InputStream failing = new InputStream() {
            long served;

            @Override
            public int read() throws IOException {
                byte[] one = new byte[1];
                return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
            }

            @Override
            public int read(byte[] b, int off, int len) throws IOException {
                if (served > PART + 1000) {
                    throw new IOException("source broke mid-stream");
                }
                int n = Math.min(len, 64 * 1024);
                served += n;
                return n;
            }
        };
        assertThatThrownBy(() -> store.put(bucket, "c1/bk-2/images.tar", failing, -1, Map.of(), null))
                .isInstanceOf(ObjectStoreException.class);
        assertThat(store.stat(bucket, "c1/bk-2/images.tar")).isEmpty();
        assertThat(store.list(bucket, "c1/bk-2/")).isEmpty();
        assertThat(store.incompleteUploads(bucket, "c1/bk-2/")).as("the failed upload was aborted, parts and all").isEmpty();
    }

    @Test
    void partsUploadWhileTheNextPartIsReadAndNoMoreThanTheConcurrencyAtOnce() throws Exception {
        store = MinioObjectStore.create(s3.endpoint(), s3.region(), s3.accessKey(), s3.secretKey(), PART, 2, 2);
        AtomicInteger inFlight = new AtomicInteger();
        AtomicInteger maxInFlight = new AtomicInteger();
        CountDownLatch secondSubmitted = new CountDownLatch(1);
        store.setUploadHook(new MinioObjectStore.UploadHook() {
            @Override
            public void partSubmitted(int partNumber) {
                maxInFlight.accumulateAndGet(inFlight.incrementAndGet(), Math::max);
                if (partNumber == 2) {
                    secondSubmitted.countDown();
                }
            }

            @Override
            public void partDone(int partNumber, Throwable failure) {
                try {
                    // Part 1 stays in flight until part 2 was read and sent: that only happens if they overlap.
                    if (partNumber == 1 && !secondSubmitted.await(30, TimeUnit.SECONDS)) {
                        throw new IllegalStateException("part 2 was not sent while part 1 was in flight");
                    }
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                } finally {
                    inFlight.decrementAndGet();
                }
            }
        });
        byte[] data = new byte[(int) (PART * 4 + 777)];
        new Random(11).nextBytes(data);
        store.put(bucket, "c1/bk-3/images.tar", new ByteArrayInputStream(data), -1, Map.of("kind", "images"),
                "application/x-tar");

        assertThat(maxInFlight.get()).isEqualTo(2);
        ObjectInfo info = store.stat(bucket, "c1/bk-3/images.tar").orElseThrow();
        assertThat(info.size()).isEqualTo(data.length);
        assertThat(info.userMetadata()).containsEntry("kind", "images");
        try (InputStream in = store.get(bucket, "c1/bk-3/images.tar")) {
            assertThat(sha256(in)).isEqualTo(sha256(new ByteArrayInputStream(data)));
        }
    }

    @Test
    void smallObjectsOfUnknownSizeAreOnePutWithTheirMetadata() throws Exception {
        byte[] data = "{\"kind\":\"metadata\"}".getBytes();
        store.setUploadHook(new MinioObjectStore.UploadHook() {
            @Override
            public void partSubmitted(int partNumber) {
                throw new AssertionError("a small object went multipart");
            }
        });
        store.put(bucket, "c1/bk-4/record.json", new ByteArrayInputStream(data), -1, Map.of("backup-id", "bk-4"),
                "application/json");
        ObjectInfo info = store.stat(bucket, "c1/bk-4/record.json").orElseThrow();
        assertThat(info.size()).isEqualTo(data.length);
        assertThat(info.userMetadata()).containsEntry("backup-id", "bk-4");
        try (InputStream in = store.get(bucket, "c1/bk-4/record.json")) {
            assertThat(in.readAllBytes()).isEqualTo(data);
        }
    }

    @Test
    void anObjectSmallerThanOnePartDoesNotAllocateAWholePart() throws Exception {
        long bigPart = 64L * 1024 * 1024;
        MinioObjectStore bigParts = MinioObjectStore.create(s3.endpoint(), s3.region(), s3.accessKey(), s3.secretKey(),
                bigPart, 2);
        byte[] data = new byte[3 * 1024 * 1024 + 17];
        new Random(7).nextBytes(data);
        var threads = (com.sun.management.ThreadMXBean) java.lang.management.ManagementFactory.getThreadMXBean();
        long tid = Thread.currentThread().getId();
        long before = threads.getThreadAllocatedBytes(tid);
        bigParts.put(bucket, "c1/bk-5/small.tar", new ByteArrayInputStream(data), -1, Map.of(), null);
        long allocated = threads.getThreadAllocatedBytes(tid) - before;
        // The metadata tar and small volumes are a few MiB: a 64 MiB array for each is a full GC in a 256 MiB heap.
        assertThat(allocated).isLessThan(bigPart / 2);
        try (InputStream in = store.get(bucket, "c1/bk-5/small.tar")) {
            assertThat(in.readAllBytes()).isEqualTo(data);
        }
    }

    @Test
    void aPartThatFailsBecauseTheStoreWentAwayAbortsTheUploadAndLeavesNoObject() throws Exception {
        try (EmbeddedS3 own = EmbeddedS3.start()) {
            MinioObjectStore flaky = MinioObjectStore.create(own.endpoint(), own.region(), own.accessKey(),
                    own.secretKey(), PART, 2, 3);
            flaky.ensureBucket("flaky");
            AtomicInteger aborts = new AtomicInteger();
            flaky.setUploadHook(new MinioObjectStore.UploadHook() {
                @Override
                public void partDone(int partNumber, Throwable failure) {
                    if (partNumber == 1) {
                        own.stop(); // the next parts find no server
                    }
                }

                @Override
                public void aborting(String uploadId) {
                    aborts.incrementAndGet();
                    own.restart(); // the store is back in time for the abort
                }
            });
            byte[] data = new byte[(int) (PART * 4 + 1)];
            new Random(3).nextBytes(data);

            assertThatThrownBy(() -> flaky.put("flaky", "c1/bk-5/images.tar", new ByteArrayInputStream(data), -1,
                    Map.of(), null)).isInstanceOf(ObjectStoreException.class)
                    .satisfies(e -> assertThat(((ObjectStoreException) e).isTransient()).isTrue());
            assertThat(aborts.get()).isEqualTo(1);
            flaky.setUploadHook(null);
            assertThat(flaky.stat("flaky", "c1/bk-5/images.tar")).isEmpty();
            assertThat(flaky.list("flaky", "c1/")).isEmpty();
            assertThat(flaky.incompleteUploads("flaky", "c1/")).as("the upload was aborted, parts and all").isEmpty();
            // The same store takes the next upload once the server is back.
            flaky.put("flaky", "c1/bk-6/images.tar", new ByteArrayInputStream(data), -1, Map.of(), null);
            assertThat(flaky.stat("flaky", "c1/bk-6/images.tar").orElseThrow().size()).isEqualTo(data.length);
        }
    }

    @Test
    void anUploadAKilledWriterLeftIsListedAndTheSweepAbortsItOnceIdleWhileALiveUploadIsKept() throws Exception {
        // What a SIGKILL leaves: an upload with a part, never completed nor aborted. Invisible to listings.
        MinioAsyncClient raw = MinioAsyncClient.builder().endpoint(s3.endpoint()).region(s3.region())
                .credentials(s3.accessKey(), s3.secretKey()).build();
        String orphanId = startUploadWithOnePart(raw, "c1/bk-7/images.tar");
        assertThat(store.list(bucket, "c1/")).as("an incomplete upload is not an object").isEmpty();
        assertThat(store.incompleteUploads(bucket, "c1/")).singleElement().satisfies(u -> {
            assertThat(u.key()).isEqualTo("c1/bk-7/images.tar");
            assertThat(u.uploadId()).isEqualTo(orphanId);
            assertThat(u.initiated()).isNotNull();
            assertThat(u.lastActivity()).isNotNull().isAfterOrEqualTo(u.initiated().minusSeconds(1));
        });
        assertThat(store.incompleteUploads(bucket, "c2/")).isEmpty();

        Duration idle = Duration.ofSeconds(3);
        StaleUploadSweeper sweeper = new StaleUploadSweeper(store, List.of(bucket), idle, Clock.systemUTC());
        assertThat(sweeper.sweep()).as("the orphan is younger than the bound: kept").isZero();
        // Let the orphan go idle past the bound, then a live upload shows activity just before the sweep.
        await().pollDelay(idle.plusSeconds(2)).atMost(idle.plusSeconds(10)).until(() -> true);
        String liveId = startUploadWithOnePart(raw, "c1/bk-8/images.tar");

        assertThat(sweeper.sweep()).isEqualTo(1);
        assertThat(store.incompleteUploads(bucket, "c1/")).extracting(IncompleteUpload::uploadId)
                .containsExactly(liveId);
        // The live upload still completes into an object.
        Part[] parts = {new Part(1, raw.listPartsAsync(bucket, s3.region(), "c1/bk-8/images.tar", 10, null, liveId,
                null, null).get().result().partList().get(0).etag())};
        raw.completeMultipartUploadAsync(bucket, s3.region(), "c1/bk-8/images.tar", liveId, parts, null, null).get();
        assertThat(store.stat(bucket, "c1/bk-8/images.tar")).isPresent();
        assertThat(store.incompleteUploads(bucket, "c1/")).isEmpty();
        // Aborting an upload that is already gone is no error (a second sweeper got there first).
        store.abortUpload(new IncompleteUpload(bucket, "c1/bk-7/images.tar", orphanId, null, null));
    }

    private String startUploadWithOnePart(MinioAsyncClient raw, String key) throws Exception {
        String id = raw.createMultipartUploadAsync(bucket, s3.region(), key, HashMultimap.create(), null).get()
                .result().uploadId();
        byte[] part = new byte[(int) PART];
        new Random(key.hashCode()).nextBytes(part);
        raw.uploadPartAsync(bucket, s3.region(), key, part, part.length, id, 1, null, null).get();
        return id;
    }

    @Test
    void wrongCredentialsArePermanentErrorsThatSayWhere() {
        MinioObjectStore wrong = MinioObjectStore.create(s3.endpoint(), s3.region(), s3.accessKey(), "not-the-secret",
                PART, 3);
        assertThatThrownBy(() -> wrong.stat(bucket, "anything")).isInstanceOf(ObjectStoreException.class)
                .hasMessageContaining(s3.endpoint())
                .satisfies(e -> assertThat(((ObjectStoreException) e).isTransient()).isFalse())
                .hasMessageNotContaining("not-the-secret");
    }

    @Test
    void anUnreachableStoreIsTransient() {
        MinioObjectStore nowhere = MinioObjectStore.create("http://127.0.0.1:9", "us-east-1", "a", "b", PART, 2);
        assertThatThrownBy(() -> nowhere.stat("some-bucket", "k")).isInstanceOf(ObjectStoreException.class)
                .satisfies(e -> assertThat(((ObjectStoreException) e).isTransient()).isTrue());
    }

    private static String sha256(InputStream in) throws Exception {
        MessageDigest digest = MessageDigest.getInstance("SHA-256");
        byte[] buffer = new byte[1 << 16];
        for (int n; (n = in.read(buffer)) > 0; ) {
            digest.update(buffer, 0, n);
        }
        return HexFormat.of().formatHex(digest.digest());
    }
}
