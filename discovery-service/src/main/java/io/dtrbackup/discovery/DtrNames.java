package io.dtrbackup.discovery;

import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * DTR container and volume names. Through a UCP client bundle names carry the node
 * ({@code node-1/dtr-api-a1640e1c15b6}); on an engine directly they do not, and the API prefixes
 * every name with {@code /}. Docker's name filters are unanchored regexes, so the filters sent to
 * the engine are anchored and every name is checked again here.
 */
public final class DtrNames {
    /** Sent to the engine as the container {@code name} filter. */
    public static final String CONTAINER_FILTER = "^/?([^/]+/)?dtr-[a-z]+(-[a-z]+)*-[0-9a-f]{12}$";
    /** Sent to the engine as the volume {@code name} filter (a substring on some engines, a regex on others). */
    public static final String VOLUME_FILTER = "dtr-registry-";

    private static final Pattern CONTAINER =
            Pattern.compile("^/?(?:([^/]+)/)?dtr-([a-z]+(?:-[a-z]+)*)-([0-9a-f]{12})$");
    private static final Pattern VOLUME = Pattern.compile("^(?:([^/]+)/)?(dtr-registry-(nfs-)?([0-9a-f]{12}))$");

    private DtrNames() {
    }

    /** A DTR container name: node (null without a prefix), component ({@code api}, {@code notary-server}...), replica. */
    public record ContainerName(String node, String component, String replicaId) {
    }

    /** A registry volume: node (null without a prefix), the bare volume name, NFS or not, replica. */
    public record VolumeName(String node, String name, boolean nfs, String replicaId) {
    }

    public static Optional<ContainerName> container(String name) {
        if (name == null) {
            return Optional.empty();
        }
        Matcher m = CONTAINER.matcher(name);
        return m.matches() ? Optional.of(new ContainerName(m.group(1), m.group(2), m.group(3))) : Optional.empty();
    }

    /** The first of a container's names (the API lists aliases too) that is a DTR container name. */
    public static Optional<ContainerName> container(String[] names) {
        if (names == null) {
            return Optional.empty();
        }
        for (String name : names) {
            Optional<ContainerName> parsed = container(name);
            if (parsed.isPresent()) {
                return parsed;
            }
        }
        return Optional.empty();
    }

    public static Optional<VolumeName> volume(String name) {
        if (name == null) {
            return Optional.empty();
        }
        Matcher m = VOLUME.matcher(name);
        return m.matches() ? Optional.of(new VolumeName(m.group(1), m.group(2), m.group(3) != null, m.group(4)))
                : Optional.empty();
    }
}
