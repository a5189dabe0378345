package io.dtrbackup.verify;

import io.dtrbackup.verify.completion.BackupFinisher;
import io.dtrbackup.contract.events.BackupEvent;
import io.dtrbackup.contract.events.BackupReverified;
import io.dtrbackup.contract.events.EventIds;
import io.dtrbackup.contract.events.VerifyRequested;
import io.dtrbackup.contract.manifest.Manifest;
import io.dtrbackup.common.metrics.PipelineMeters;
import io.dtrbackup.contract.layout.BackupLayout;
import io.dtrbackup.common.store.ObjectStore;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Re-verification of one stored backup ({@code VerifyRequested}): every artifact of its manifest is
 * read back and checked against the manifest's digests. Returns the events to publish, in order: one
 * {@code ArtifactVerified(reverification=true)} or {@code ArtifactFailed} per artifact, then the
 * verdict {@link BackupReverified}; a missing or unreadable manifest is a damaged backup. Changes
 * nothing stored; counts the verdict in {@link PipelineMeters#REVERIFICATIONS}. Blocking.
 */
final class Reverifier {
    private static final Logger LOG = LoggerFactory.getLogger(Reverifier.class);

    private final BackupFinisher manifests;
    private final BackupLayout layout;
    private final ArtifactVerifier verifier;
    private final PipelineMeters meters;

    Reverifier(ObjectStore store, BackupLayout layout, ArtifactVerifier verifier, PipelineMeters meters) {
        this.manifests = new BackupFinisher(store, layout, null, null);
        this.layout = layout;
        this.verifier = verifier;
        this.meters = meters;
    }

    List<BackupEvent> reverify(VerifyRequested request) {
        String backup = request.backupId();
        String cluster = request.clusterId();
        List<BackupEvent> events = new ArrayList<>();
        List<String> problems = new ArrayList<>();
        Optional<Manifest> manifest;
        try {
            manifest = manifests.readManifest(cluster, backup);
        } catch (RuntimeException e) {
            manifest = Optional.empty();
            problems.add("manifest unreadable: " + e.getMessage());
        }
        if (manifest.isEmpty() && problems.isEmpty()) {
            problems.add("missing: no " + layout.manifestKey(cluster, backup) + " (the backup never completed, "
                    + "or retention removed it)");
        }
        for (Manifest.Artifact a : manifest.map(Manifest::artifacts).orElse(List.of())) {
            VerificationResult r = verifier.verify(backup, cluster, Expectation.of(manifest.get(), a), true, n -> { });
            events.add(VerifyVerticle.toEvent(r, backup, cluster, request.eventId()));
            if (!r.verified()) {
                problems.add(a.kind().id() + ": " + r.reason());
            }
        }
        events.add(new BackupReverified(BackupEvent.CURRENT_SCHEMA_VERSION,
                EventIds.backupReverified(backup, request.eventId()), backup, cluster,
                Instant.now(), problems.isEmpty(), problems));
        meters.reverification(cluster, problems.isEmpty());
        LOG.info("re-verification of {}: {}", backup, problems.isEmpty() ? "intact" : problems);
        return events;
    }
}
