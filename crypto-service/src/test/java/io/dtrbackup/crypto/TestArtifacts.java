package io.dtrbackup.crypto;

import io.dtrbackup.contract.events.ArtifactKind;
import io.dtrbackup.contract.events.ArtifactStaged;
import io.dtrbackup.contract.events.BackupEvent;
import io.dtrbackup.contract.events.EventIds;
import io.dtrbackup.contract.layout.BackupLayout;
import io.dtrbackup.common.store.ObjectStore;
import java.io.ByteArrayInputStream;
import java.security.MessageDigest;
import java.time.Instant;
import java.util.HexFormat;
import java.util.Map;
import java.util.Random;

/** Staged plaintext artifacts and their ArtifactStaged events, as metadata/image-service write them. */
final class TestArtifacts {
    static final String CLUSTER = "prod-east";
    static final String LISTING = "a".repeat(64);

    private TestArtifacts() {
    }

    static byte[] random(int size, long seed) {
        byte[] data = new byte[size];
        new Random(seed).nextBytes(data);
        return data;
    }

    static String sha256(byte[] data) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(data));
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    /** The event for {@code data}, without storing anything. */
    static ArtifactStaged event(BackupLayout layout, String backupId, ArtifactKind kind, long size, String sha256) {
        String name = BackupLayout.artifactName(kind, "2.9.4", "20261125-02_00_00");
        return new ArtifactStaged(BackupEvent.CURRENT_SCHEMA_VERSION,
                EventIds.artifactStaged(backupId, kind), backupId, CLUSTER,
                Instant.parse("2026-11-25T02:00:00Z"), kind, name, layout.stagingKey(CLUSTER, backupId, kind), size,
                sha256, 42, LISTING, "2.9.4", kind == ArtifactKind.METADATA ? "dtr-backup-v2.9.4-online/" : null,
                kind == ArtifactKind.IMAGES ? 7L : null, 1234);
    }

    /** Stores {@code data} at the staging key and returns its event. */
    static ArtifactStaged stage(ObjectStore store, BackupLayout layout, String backupId, ArtifactKind kind,
            byte[] data) {
        store.ensureBucket(layout.stagingBucket());
        store.ensureBucket(layout.backupBucket());
        ArtifactStaged event = event(layout, backupId, kind, data.length, sha256(data));
        store.put(layout.stagingBucket(), event.stagingKey(), new ByteArrayInputStream(data), data.length,
                Map.of("backup-id", backupId), "application/x-tar");
        return event;
    }
}
