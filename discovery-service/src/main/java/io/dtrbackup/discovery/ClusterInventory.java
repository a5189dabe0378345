package io.dtrbackup.discovery;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * What a cluster's Docker endpoint shows of DTR: its replicas (running or not), their containers,
 * versions and registry volumes. Built by {@link DockerClusterInspector}, or by hand in tests.
 *
 * @param endpoint the Docker endpoint it was read from (for messages)
 * @param replicas sorted by replica ID
 */
public record ClusterInventory(String endpoint, List<Replica> replicas) {
    /** Containers a replica needs running to be backed up: the metadata lives in RethinkDB, images behind the registry. */
    public static final List<String> REQUIRED_COMPONENTS = List.of("rethinkdb", "registry");

    public ClusterInventory {
        replicas = replicas.stream().sorted(Comparator.comparing(Replica::replicaId)).toList();
    }

    /** One DTR container. {@code dtrVersion} is null when its environment has no {@code DTR_VERSION}. */
    public record Container(String name, String component, boolean running, String state, String dtrVersion) {
    }

    /**
     * One replica.
     *
     * @param node the node from the name prefix or the engine, may be null
     * @param containers by component
     * @param volumeName the registry volume ({@code dtr-registry-<id>} or {@code dtr-registry-nfs-<id>}), or null
     * @param nfs whether {@code volumeName} is the NFS one
     */
    public record Replica(String replicaId, String node, Map<String, Container> containers, String volumeName,
            boolean nfs) {
        public Replica {
            containers = Map.copyOf(new TreeMap<>(containers));
        }

        /** Can be backed up now: its RethinkDB and registry containers run. */
        public boolean healthy() {
            return REQUIRED_COMPONENTS.stream().allMatch(c -> containers.containsKey(c) && containers.get(c).running());
        }

        /** Why it is not healthy, e.g. {@code dtr-rethinkdb-a1640e1c15b6 exited}; empty when healthy. */
        public List<String> problems() {
            List<String> problems = new ArrayList<>();
            for (String component : REQUIRED_COMPONENTS) {
                Container c = containers.get(component);
                if (c == null) {
                    problems.add("dtr-" + component + "-" + replicaId + " missing");
                } else if (!c.running()) {
                    problems.add(c.name() + " " + (c.state() == null ? "not running" : c.state()));
                }
            }
            return problems;
        }

        /** Distinct DTR_VERSION values its containers carry. */
        public Set<String> versions() {
            Set<String> versions = new TreeSet<>();
            containers.values().stream().map(Container::dtrVersion).filter(Objects::nonNull).forEach(versions::add);
            return versions;
        }

        /** A short description for messages: {@code a1640e1c15b6 (node-1, healthy)}. */
        public String describe() {
            return replicaId + " (" + (node == null ? "" : node + ", ") + (healthy() ? "healthy" : String.join(", ",
                    problems())) + ")";
        }
    }
}
