package io.dtrbackup.common.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.dtrbackup.testsupport.EmbeddedS3;
import io.dtrbackup.testsupport.S3Extension;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.Map;
import java.util.Random;
import java.util.UUID;
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
