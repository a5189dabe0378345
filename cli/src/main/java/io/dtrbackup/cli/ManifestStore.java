package io.dtrbackup.cli;

import io.dtrbackup.contract.layout.BackupLayout;
import io.dtrbackup.common.store.ObjectInfo;
import io.dtrbackup.common.store.ObjectStore;
import io.dtrbackup.common.store.ObjectStoreException;
import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;

/** Finds and reads manifests in the backup bucket, through {@link BackupLayout} keys. */
final class ManifestStore {
    private final ObjectStore store;
    private final BackupLayout layout;

    ManifestStore(ObjectStore store, BackupLayout layout) {
        this.store = store;
        this.layout = layout;
    }

    /** Every manifest, optionally of one cluster, newest backup first. Unreadable ones are reported, not fatal. */
    List<ManifestView> list(String clusterId, List<String> problems) {
        List<ManifestView> manifests = new ArrayList<>();
        for (ObjectInfo info : listKeys(clusterId == null ? "" : BackupLayout.clusterPrefix(clusterId))) {
            if (!info.key().endsWith("/" + BackupLayout.MANIFEST)) {
                continue;
            }
            try {
                manifests.add(read(info.key()));
            } catch (IOException | RuntimeException e) {
                problems.add(info.key() + ": " + e.getMessage());
            }
        }
        manifests.sort(Comparator.comparing((ManifestView m) -> String.valueOf(m.completedAt())).reversed());
        return manifests;
    }

    /** The manifest of a backup, looked up by ID across clusters (or in one). */
    Optional<ManifestView> find(String backupId, String clusterId) {
        if (clusterId != null) {
            String key = layout.manifestKey(clusterId, backupId);
            return store.exists(layout.backupBucket(), key) ? Optional.of(readOrFail(key)) : Optional.empty();
        }
        for (ObjectInfo info : listKeys("")) {
            if (info.key().endsWith("/" + backupId + "/" + BackupLayout.MANIFEST)) {
                return Optional.of(readOrFail(info.key()));
            }
        }
        return Optional.empty();
    }

    /** Every object of a backup (ciphertexts, records, manifest). */
    List<ObjectInfo> objectsOf(String clusterId, String backupId) {
        return listKeys(BackupLayout.backupPrefix(clusterId, backupId));
    }

    ManifestView read(String key) throws IOException {
        try (InputStream in = store.get(layout.backupBucket(), key)) {
            return ManifestView.parse(key, in);
        }
    }

    private ManifestView readOrFail(String key) {
        try {
            return read(key);
        } catch (IOException e) {
            throw new CliException("cannot read manifest " + key + ": " + e.getMessage());
        }
    }

    private List<ObjectInfo> listKeys(String prefix) {
        try {
            return store.list(layout.backupBucket(), prefix);
        } catch (ObjectStoreException e) {
            throw new CliException("cannot list bucket " + layout.backupBucket() + ": " + e.getMessage()
                    + " - check --s3-endpoint, the key files and --backup-bucket");
        }
    }
}
