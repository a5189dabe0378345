package io.dtrbackup.testsupport;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** A simulated DTR replica: its five containers and its registry volume on the engine. */
public final class SimulatedReplica {
    /** Components in creation order; container names are {@code dtr-<component>-<replicaId>}. */
    public static final List<String> COMPONENTS = List.of("rethinkdb", "registry", "api", "nginx", "jobrunner");

    private final DtrSimulator simulator;
    private final String replicaId;
    private final ReplicaSpec spec;
    private final String volumeName;
    private final Map<String, String> containerIds = new LinkedHashMap<>();
    private final RegistryTreeGenerator tree;
    private volatile long uploadMillis;

    SimulatedReplica(DtrSimulator simulator, String replicaId, ReplicaSpec spec, String volumeName,
            RegistryTreeGenerator tree) {
        this.simulator = simulator;
        this.replicaId = replicaId;
        this.spec = spec;
        this.volumeName = volumeName;
        this.tree = tree;
    }

    public String replicaId() {
        return replicaId;
    }

    public String dtrVersion() {
        return spec.dtrVersion();
    }

    public ReplicaSpec spec() {
        return spec;
    }

    public SimulatedUcp ucp() {
        return spec.ucp();
    }

    public String volumeName() {
        return volumeName;
    }

    /** The generator of the volume's content (null when the spec had no tree). */
    public RegistryTreeGenerator tree() {
        return tree;
    }

    /** How long writing the tree into the volume took (0 when there was no tree). */
    public long uploadMillis() {
        return uploadMillis;
    }

    void uploadMillis(long ms) {
        uploadMillis = ms;
    }

    public static String containerName(String component, String replicaId) {
        return "dtr-" + component + "-" + replicaId;
    }

    /** {@code dtr-rethinkdb-<id>}, {@code dtr-registry-<id>}, … in {@link #COMPONENTS} order. */
    public List<String> containerNames() {
        List<String> names = new ArrayList<>();
        for (String c : COMPONENTS) {
            names.add(containerName(c, replicaId));
        }
        return Collections.unmodifiableList(names);
    }

    /** Container ID of a component ("api", "dtr-api" or the full name). */
    public String containerId(String component) {
        String id = containerIds.get(component(component));
        if (id == null) {
            throw new IllegalArgumentException("no component " + component + " in replica " + replicaId);
        }
        return id;
    }

    void containerId(String component, String id) {
        containerIds.put(component, id);
    }

    /** Stops one component's container (no-op if it is already stopped). */
    public void stop(String component) {
        simulator.stopContainer(containerId(component));
    }

    /** Starts one component's container (no-op if it is already running). */
    public void start(String component) {
        simulator.startContainer(containerId(component));
    }

    public void stopAll() {
        COMPONENTS.forEach(this::stop);
    }

    public void startAll() {
        COMPONENTS.forEach(this::start);
    }

    private String component(String name) {
        String n = name;
        if (n.endsWith("-" + replicaId)) {
            n = n.substring(0, n.length() - replicaId.length() - 1);
        }
        return n.startsWith("dtr-") ? n.substring(4) : n;
    }

    @Override
    public String toString() {
        return "SimulatedReplica[" + replicaId + ", DTR " + spec.dtrVersion() + ", volume " + volumeName + "]";
    }
}
