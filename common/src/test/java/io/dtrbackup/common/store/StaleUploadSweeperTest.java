package io.dtrbackup.common.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.InputStream;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** Which incomplete uploads the sweep takes for abandoned: only those idle longer than the bound. */
class StaleUploadSweeperTest {
    private static final Instant NOW = Instant.parse("2026-12-01T12:00:00Z");
    private static final Duration IDLE = Duration.ofHours(1);

    @Test
    void abortsOnlyUploadsWithNoActivityForLongerThanTheBound() {
        Uploads store = new Uploads();
        store.uploads.add(upload("staging", "c1/bk-1/images.tar", "old", NOW.minus(Duration.ofHours(30)),
                NOW.minus(Duration.ofHours(2)))); // started long ago, last part two hours ago: abandoned
        store.uploads.add(upload("staging", "c1/bk-2/images.tar", "long-but-live", NOW.minus(Duration.ofHours(30)),
                NOW.minusSeconds(20))); // a 5 TB upload running for a day that still adds parts: kept
        store.uploads.add(upload("staging", "c1/bk-3/images.tar", "just-idle", NOW.minus(IDLE), NOW.minus(IDLE)));
        store.uploads.add(upload("staging", "c1/bk-4/images.tar", "no-time", null, null)); // cannot judge: kept
        store.uploads.add(upload("backups", "c1/bk-5/x.tar.gpg", "other-bucket", NOW.minus(Duration.ofDays(3)),
                NOW.minus(Duration.ofDays(3))));

        int aborted = new StaleUploadSweeper(store, List.of("staging"), IDLE, Clock.fixed(NOW, ZoneOffset.UTC)).sweep();

        assertThat(aborted).isEqualTo(1);
        assertThat(store.aborted).extracting(IncompleteUpload::uploadId).containsExactly("old");
    }

    @Test
    void sweepsEveryBucketItIsGiven() {
        Uploads store = new Uploads();
        store.uploads.add(upload("staging", "a", "s", NOW.minus(Duration.ofDays(1)), NOW.minus(Duration.ofDays(1))));
        store.uploads.add(upload("backups", "b", "b", NOW.minus(Duration.ofDays(1)), NOW.minus(Duration.ofDays(1))));
        new StaleUploadSweeper(store, List.of("staging", "backups"), IDLE, Clock.fixed(NOW, ZoneOffset.UTC)).sweep();
        assertThat(store.aborted).extracting(IncompleteUpload::uploadId).containsExactlyInAnyOrder("s", "b");
    }

    @Test
    void aBoundOfZeroIsRefused() {
        assertThatThrownBy(() -> new StaleUploadSweeper(new Uploads(), List.of("b"), Duration.ZERO, Clock.systemUTC()))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("positive");
    }

    private static IncompleteUpload upload(String bucket, String key, String id, Instant initiated, Instant last) {
        return new IncompleteUpload(bucket, key, id, initiated, last);
    }

    /** Only the two calls the sweeper makes. */
    private static final class Uploads implements ObjectStore {
        final List<IncompleteUpload> uploads = new ArrayList<>();
        final List<IncompleteUpload> aborted = new ArrayList<>();

        @Override
        public List<IncompleteUpload> incompleteUploads(String bucket, String prefix) {
            return uploads.stream().filter(u -> u.bucket().equals(bucket) && u.key().startsWith(prefix)).toList();
        }

        @Override
        public void abortUpload(IncompleteUpload upload) {
            aborted.add(upload);
        }

        @Override
        public void ensureBucket(String bucket) {
            throw new UnsupportedOperationException();
        }

        @Override
        public ObjectInfo put(String bucket, String key, InputStream data, long size, Map<String, String> userMetadata,
                String contentType) {
            throw new UnsupportedOperationException();
        }

        @Override
        public InputStream get(String bucket, String key) {
            throw new UnsupportedOperationException();
        }

        @Override
        public InputStream get(String bucket, String key, long offset, long length) {
            throw new UnsupportedOperationException();
        }

        @Override
        public Optional<ObjectInfo> stat(String bucket, String key) {
            throw new UnsupportedOperationException();
        }

        @Override
        public List<ObjectInfo> list(String bucket, String prefix) {
            throw new UnsupportedOperationException();
        }

        @Override
        public void remove(String bucket, String key) {
            throw new UnsupportedOperationException();
        }
    }
}
