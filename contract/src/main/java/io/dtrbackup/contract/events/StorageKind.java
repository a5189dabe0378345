package io.dtrbackup.contract.events;

import java.util.Locale;

/** Where a DTR keeps its image content; decides whether image-service archives a volume. */
public enum StorageKind {
    FILESYSTEM(true),
    NFS(true),
    S3(false),
    AZURE(false),
    SWIFT(false),
    GCS(false);

    private final boolean volumeBacked;

    StorageKind(boolean volumeBacked) {
        this.volumeBacked = volumeBacked;
    }

    /** True when the content lives in a Docker volume that dtr-backup archives itself. */
    public boolean isVolumeBacked() {
        return volumeBacked;
    }

    public static StorageKind parse(String text) {
        try {
            return valueOf(text.trim().toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("unknown storage kind '" + text
                    + "' (expected one of filesystem, nfs, s3, azure, swift, gcs)");
        }
    }
}
