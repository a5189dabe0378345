package io.dtrbackup.contract.events;

/** The two artifacts a DTR backup consists of (the seed's two tar files). */
public enum ArtifactKind {
    /** The {@code docker/dtr backup} tar: RethinkDB tables, configuration, certificates. */
    METADATA,
    /** The registry volume tar: the image layers and manifests themselves. */
    IMAGES;

    /** Lower-case name used in object keys and messages. */
    public String id() {
        return name().toLowerCase(java.util.Locale.ROOT);
    }
}
