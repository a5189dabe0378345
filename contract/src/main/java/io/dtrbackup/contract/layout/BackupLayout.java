package io.dtrbackup.contract.layout;

import io.dtrbackup.contract.events.ArtifactKind;
import io.dtrbackup.contract.events.Checks;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;

/**
 * Every bucket and object key of dtr-backup, built here and nowhere else.
 *
 * <pre>
 * staging bucket (plaintext, private, short-lived):
 *   &lt;clusterId&gt;/&lt;backupId&gt;/metadata.tar
 *   &lt;clusterId&gt;/&lt;backupId&gt;/images.tar
 *   &lt;clusterId&gt;/&lt;backupId&gt;/metadata.staged.json   (the ArtifactStaged event, written after the tar)
 * backup bucket (ciphertext and manifests only):
 *   &lt;clusterId&gt;/&lt;backupId&gt;/dtr-metadata-&lt;version&gt;-backup-&lt;YYYYmmdd-HH_MM_SS&gt;.tar.gpg
 *   &lt;clusterId&gt;/&lt;backupId&gt;/dtr-image-backup-&lt;YYYYmmdd-HH_MM_SS&gt;.tar.gpg
 *   &lt;clusterId&gt;/&lt;backupId&gt;/&lt;artifact file name&gt;.gpg.json   (the ArtifactEncrypted event)
 *   &lt;clusterId&gt;/&lt;backupId&gt;/verification-&lt;kind&gt;.json
 *   &lt;clusterId&gt;/&lt;backupId&gt;/manifest.json
 * </pre>
 * File names follow the seed procedure, so a restored file looks exactly like a hand-made one.
 */
public record BackupLayout(String stagingBucket, String backupBucket) {
    /** The seed's {@code date +%Y%m%d-%H_%M_%S}, in UTC. */
    public static final DateTimeFormatter TIMESTAMP = DateTimeFormatter.ofPattern("yyyyMMdd-HH_mm_ss")
            .withZone(ZoneOffset.UTC);
    public static final String ENCRYPTED_SUFFIX = ".gpg";
    public static final String MANIFEST = "manifest.json";

    public BackupLayout {
        Checks.text("stagingBucket", stagingBucket);
        Checks.text("backupBucket", backupBucket);
        if (stagingBucket.equals(backupBucket)) {
            throw new IllegalArgumentException("the staging bucket must differ from the backup bucket: plaintext never "
                    + "reaches the backup bucket");
        }
    }

    public static String timestamp(Instant instant) {
        return TIMESTAMP.format(instant);
    }

    /** The seed's plaintext file name of an artifact. */
    public static String artifactName(ArtifactKind kind, String dtrVersion, String backupTimestamp) {
        return switch (kind) {
            case METADATA -> "dtr-metadata-" + dtrVersion + "-backup-" + backupTimestamp + ".tar";
            case IMAGES -> "dtr-image-backup-" + backupTimestamp + ".tar";
        };
    }

    /** Prefix of everything of one backup, in either bucket. */
    public static String backupPrefix(String clusterId, String backupId) {
        return Checks.id("clusterId", clusterId) + "/" + Checks.id("backupId", backupId) + "/";
    }

    /** Prefix of every backup of a cluster. */
    public static String clusterPrefix(String clusterId) {
        return Checks.id("clusterId", clusterId) + "/";
    }

    public String stagingKey(String clusterId, String backupId, ArtifactKind kind) {
        return backupPrefix(clusterId, backupId) + kind.id() + ".tar";
    }

    /**
     * The staging record of an artifact: the ArtifactStaged event as JSON, written only after the
     * tar is complete, so a redelivered request finds the finished work and republishes it.
     */
    public String stagedRecordKey(String clusterId, String backupId, ArtifactKind kind) {
        return backupPrefix(clusterId, backupId) + kind.id() + ".staged.json";
    }

    /** The encryption record beside a ciphertext object: the ArtifactEncrypted event as JSON. */
    public String encryptedRecordKey(String clusterId, String backupId, String artifactName) {
        return encryptedKey(clusterId, backupId, artifactName) + ".json";
    }

    /**
     * The receipt crypto-service writes after encrypting a plaintext handed to it directly (no staging
     * copy): sizes and digests until the ArtifactStaged event confirms them and the record replaces it.
     */
    public String handoffReceiptKey(String clusterId, String backupId, String artifactName) {
        return encryptedKey(clusterId, backupId, artifactName) + ".handoff.json";
    }

    public String encryptedKey(String clusterId, String backupId, String artifactName) {
        if (artifactName.contains("/")) {
            throw new IllegalArgumentException("artifact name must not contain '/': " + artifactName);
        }
        return backupPrefix(clusterId, backupId) + artifactName + ENCRYPTED_SUFFIX;
    }

    public String verificationKey(String clusterId, String backupId, ArtifactKind kind) {
        return backupPrefix(clusterId, backupId) + "verification-" + kind.id() + ".json";
    }

    public String manifestKey(String clusterId, String backupId) {
        return backupPrefix(clusterId, backupId) + MANIFEST;
    }

    /** The backup ID of a key in the backup bucket, e.g. to list a cluster's backups. */
    public static String backupIdOf(String key) {
        String[] parts = key.split("/");
        if (parts.length < 3) {
            throw new IllegalArgumentException("not a backup object key: " + key);
        }
        return parts[1];
    }
}
