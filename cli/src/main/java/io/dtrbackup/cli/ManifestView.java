package io.dtrbackup.cli;

import io.dtrbackup.contract.manifest.Manifest;
import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * A stored backup's {@code manifest.json} as the CLI lists, shows and fetches it: the object key it
 * was read from and the shared {@link Manifest} record, with stored and deliberately skipped
 * artifacts in one list.
 */
record ManifestView(String key, Manifest manifest) {

    static ManifestView parse(String key, InputStream in) throws IOException {
        return new ManifestView(key, Manifest.read(in));
    }

    /** One artifact of the backup; a skipped one has no object and says why in {@code status}. */
    record Artifact(String kind, String artifactName, String objectKey, String keyId, String plaintextSha256,
            long plaintextSize, long ciphertextSize, String status) {
        boolean isStored() {
            return objectKey != null;
        }
    }

    String backupId() {
        return manifest.backupId();
    }

    String clusterId() {
        return manifest.clusterId();
    }

    String replicaId() {
        return manifest.replicaId();
    }

    String dtrVersion() {
        return manifest.dtrVersion();
    }

    /** A manifest is written only for a verified backup. */
    String status() {
        return "COMPLETED";
    }

    /** ISO-8601, or null when the manifest has none. */
    String completedAt() {
        return manifest.completedAt() == null ? null : manifest.completedAt().toString();
    }

    String trigger() {
        return manifest.trigger() == null ? null : manifest.trigger().name();
    }

    int formatVersion() {
        return manifest.formatVersion();
    }

    /** What the backup deliberately does not hold, one sentence each. */
    List<String> notes() {
        return manifest.notIncluded() == null ? List.of() : manifest.notIncluded();
    }

    List<Artifact> artifacts() {
        List<Artifact> list = new ArrayList<>();
        for (Manifest.Artifact a : orEmpty(manifest.artifacts())) {
            list.add(new Artifact(kind(a.kind()), a.artifactName(), a.objectKey(), a.keyId(), a.plaintextSha256(),
                    a.plaintextSize(), a.ciphertextSize(), null));
        }
        for (Manifest.Skipped s : orEmpty(manifest.skipped())) {
            list.add(new Artifact(kind(s.kind()), null, null, null, null, -1, -1, "SKIPPED: " + s.reason()));
        }
        return list;
    }

    long totalCiphertextBytes() {
        return artifacts().stream().mapToLong(a -> Math.max(0, a.ciphertextSize())).sum();
    }

    private static String kind(io.dtrbackup.contract.events.ArtifactKind kind) {
        return kind == null ? null : kind.name().toUpperCase(Locale.ROOT);
    }

    private static <T> List<T> orEmpty(List<T> list) {
        return list == null ? List.of() : list;
    }
}
