package io.dtrbackup.common.store;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Aborts the multipart uploads a killed writer left behind. A SIGKILL skips the abort that a
 * failed upload gets, so its parts stay in the bucket, invisible to listings and billed. An upload
 * counts as abandoned when nothing happened to it (no part, no initiation) for {@code idleAge}:
 * a live upload adds a part every few seconds, so the bound only has to exceed the time one part
 * takes, not the time a whole 5 TB upload takes.
 * <p>
 * An upload of a stalled but living writer that is aborted fails that writer's next part or its
 * completion with NoSuchUpload: the stage fails or retries with a clear reason, and no object
 * becomes visible, so nothing verified is ever lost. Uploads whose store gives no time are kept.
 */
public final class StaleUploadSweeper {
    private static final Logger LOG = LoggerFactory.getLogger(StaleUploadSweeper.class);

    private final ObjectStore store;
    private final List<String> buckets;
    private final Duration idleAge;
    private final Clock clock;

    public StaleUploadSweeper(ObjectStore store, List<String> buckets, Duration idleAge, Clock clock) {
        if (idleAge.isNegative() || idleAge.isZero()) {
            throw new IllegalArgumentException("the idle age of an abandoned upload must be positive: " + idleAge);
        }
        this.store = store;
        this.buckets = List.copyOf(buckets);
        this.idleAge = idleAge;
        this.clock = clock;
    }

    /** One pass over the buckets; returns how many uploads it aborted. Blocking: call on a worker. */
    public int sweep() {
        Instant cutoff = clock.instant().minus(idleAge);
        int aborted = 0;
        for (String bucket : buckets) {
            for (IncompleteUpload upload : store.incompleteUploads(bucket, "")) {
                if (upload.lastActivity() == null || !upload.lastActivity().isBefore(cutoff)) {
                    continue;
                }
                store.abortUpload(upload);
                aborted++;
                LOG.warn("Aborted an abandoned multipart upload of {}/{} (started {}, last part {}, idle longer than {}):"
                        + " its writer was killed before it could complete or abort it", bucket, upload.key(),
                        upload.initiated(), upload.lastActivity(), idleAge);
            }
        }
        return aborted;
    }
}
