package io.dtrbackup.contract.events;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.HexFormat;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Backup IDs: readable, sortable by time, safe as Kafka keys and object-key components.
 * A scheduled slot's ID is derived from cluster and slot time, so every discovery instance that
 * fires the same slot produces the same ID and the slot runs once.
 */
public final class BackupIds {
    private static final DateTimeFormatter STAMP = DateTimeFormatter.ofPattern("yyyyMMdd'T'HHmmss'Z'")
            .withZone(ZoneOffset.UTC);

    private BackupIds() {
    }

    /** {@code bk-20261125T020000Z-3fa1c2d4}: a fresh ID for a manual or event-triggered request. */
    public static String newId(Instant now) {
        return "bk-" + STAMP.format(now) + "-" + HexFormat.of().toHexDigits(ThreadLocalRandom.current().nextInt());
    }

    /** {@code sch-20261125T020000Z-<8 hex of sha256(cluster/slot)>}: the same for every instance. */
    public static String scheduled(String clusterId, Instant slot) {
        try {
            byte[] hash = MessageDigest.getInstance("SHA-256")
                    .digest((clusterId + "/" + slot.toEpochMilli()).getBytes(StandardCharsets.UTF_8));
            return "sch-" + STAMP.format(slot) + "-" + HexFormat.of().formatHex(hash, 0, 4);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
