package io.dtrbackup.discovery;

import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.api.command.InspectContainerResponse;
import com.github.dockerjava.api.command.InspectVolumeResponse;
import com.github.dockerjava.api.exception.DockerException;
import com.github.dockerjava.api.exception.NotFoundException;
import com.github.dockerjava.api.model.Container;
import com.github.dockerjava.core.DockerClientConfig;
import com.github.dockerjava.core.DockerClientImpl;
import com.github.dockerjava.httpclient5.ApacheDockerHttpClient;
import io.dtrbackup.common.clusters.ClusterSpec;
import io.dtrbackup.common.docker.DockerClients;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.net.ConnectException;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.net.UnknownHostException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import javax.net.ssl.SSLException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reads a cluster's DTR replicas through docker-java: all {@code dtr-*} containers (running and
 * stopped), their {@code DTR_VERSION}, node and state, and the registry volumes. Failures become
 * {@link DiscoveryException}s whose message tells the operator what to check.
 */
public final class DockerClusterInspector implements ClusterInspector {
    private static final Logger LOG = LoggerFactory.getLogger(DockerClusterInspector.class);

    private final Duration timeout;

    public DockerClusterInspector(Duration timeout) {
        this.timeout = timeout;
    }

    @Override
    public ClusterInventory inspect(ClusterSpec cluster) throws DiscoveryException {
        String endpoint = cluster.docker().endpoint();
        DockerClient docker;
        try {
            docker = client(cluster.docker());
        } catch (RuntimeException e) {
            throw new DiscoveryException(explain(cluster, e), e);
        }
        try (docker) {
            return read(docker, endpoint);
        } catch (RuntimeException | IOException e) {
            throw new DiscoveryException(explain(cluster, e), e);
        }
    }

    /**
     * The endpoint decisions (socket, mutual TLS from the client bundle, plain tcp only when
     * allowed) are common's; the transport here has a response timeout because a listing must
     * not hang a worker forever (common's clients have none, for long streams).
     */
    private DockerClient client(ClusterSpec.DockerEndpoint endpoint) {
        DockerClientConfig config = DockerClients.config(endpoint);
        ApacheDockerHttpClient http = new ApacheDockerHttpClient.Builder()
                .dockerHost(config.getDockerHost())
                .sslConfig(config.getSSLConfig())
                .maxConnections(4)
                .connectionTimeout(timeout)
                .responseTimeout(timeout)
                .build();
        return DockerClientImpl.getInstance(config, http);
    }

    private static ClusterInventory read(DockerClient docker, String endpoint) {
        String engineName = docker.infoCmd().exec().getName();
        List<Container> listed = docker.listContainersCmd()
                .withShowAll(true)
                .withNameFilter(List.of(DtrNames.CONTAINER_FILTER))
                .exec();
        Map<String, Map<String, ClusterInventory.Container>> byReplica = new LinkedHashMap<>();
        Map<String, String> nodes = new HashMap<>();
        Map<String, String> mountedVolumes = new HashMap<>();
        for (Container c : listed) {
            Optional<DtrNames.ContainerName> parsed = DtrNames.container(c.getNames());
            if (parsed.isEmpty()) {
                continue; // the engine's unanchored match let it through
            }
            DtrNames.ContainerName name = parsed.get();
            InspectContainerResponse inspect;
            try {
                inspect = docker.inspectContainerCmd(c.getId()).exec();
            } catch (NotFoundException removed) {
                LOG.debug("container {} disappeared between list and inspect", c.getId());
                continue;
            }
            String version = dtrVersion(inspect);
            boolean running = inspect.getState() != null && Boolean.TRUE.equals(inspect.getState().getRunning());
            String state = inspect.getState() == null ? c.getState() : inspect.getState().getStatus();
            String fullName = (name.node() == null ? "" : name.node() + "/") + "dtr-" + name.component() + "-"
                    + name.replicaId();
            byReplica.computeIfAbsent(name.replicaId(), k -> new LinkedHashMap<>())
                    .put(name.component(), new ClusterInventory.Container(fullName, name.component(), running, state,
                            version));
            String node = name.node() != null ? name.node()
                    : inspect.getNode() != null && inspect.getNode().getName() != null ? inspect.getNode().getName()
                    : engineName;
            nodes.putIfAbsent(name.replicaId(), node);
            if (name.component().equals("registry") && inspect.getMounts() != null) {
                for (InspectContainerResponse.Mount mount : inspect.getMounts()) {
                    DtrNames.volume(mount.getName())
                            .filter(v -> v.replicaId().equals(name.replicaId()))
                            .ifPresent(v -> mountedVolumes.put(name.replicaId(), v.name()));
                }
            }
        }
        Map<String, List<DtrNames.VolumeName>> volumes = new HashMap<>();
        List<InspectVolumeResponse> listedVolumes = docker.listVolumesCmd()
                .withFilter("name", List.of(DtrNames.VOLUME_FILTER)).exec().getVolumes();
        if (listedVolumes != null) {
            for (InspectVolumeResponse v : listedVolumes) {
                DtrNames.volume(v.getName()).ifPresent(parsed -> volumes.computeIfAbsent(parsed.replicaId(),
                        k -> new ArrayList<>()).add(parsed));
            }
        }
        List<ClusterInventory.Replica> replicas = new ArrayList<>();
        byReplica.forEach((id, containers) -> {
            // The volume the registry container mounts wins; else the volume list (NFS first: a
            // replica moved to NFS keeps its old local volume around).
            String volume = mountedVolumes.get(id);
            if (volume == null) {
                volume = volumes.getOrDefault(id, List.of()).stream()
                        .sorted((a, b) -> Boolean.compare(b.nfs(), a.nfs()))
                        .map(DtrNames.VolumeName::name).findFirst().orElse(null);
            }
            boolean nfs = volume != null && DtrNames.volume(volume).map(DtrNames.VolumeName::nfs).orElse(false);
            replicas.add(new ClusterInventory.Replica(id, nodes.get(id), containers, volume, nfs));
        });
        return new ClusterInventory(endpoint, replicas);
    }

    private static String dtrVersion(InspectContainerResponse inspect) {
        if (inspect.getConfig() == null || inspect.getConfig().getEnv() == null) {
            return null;
        }
        for (String entry : inspect.getConfig().getEnv()) {
            if (entry.startsWith("DTR_VERSION=")) {
                return entry.substring("DTR_VERSION=".length()).trim();
            }
        }
        return null;
    }

    /** Turns a client failure into what the operator should check. Never includes a secret. */
    static String explain(ClusterSpec cluster, Throwable failure) {
        String endpoint = cluster.docker().endpoint();
        String where = "the Docker endpoint of cluster '" + cluster.id() + "' at " + endpoint;
        String cause = rootDescription(failure);
        if (find(failure, SSLException.class) != null) {
            return "TLS handshake with " + where + " failed (" + cause + "): the client bundle "
                    + cluster.docker().clientBundle() + " may be expired, revoked or for another cluster, or the "
                    + "endpoint does not speak TLS; download a fresh UCP client bundle of an admin user into that "
                    + "directory and request the backup again";
        }
        DockerException api = find(failure, DockerException.class);
        if (api != null && (api.getHttpStatus() == 401 || api.getHttpStatus() == 403)) {
            return where + " refused the request (HTTP " + api.getHttpStatus() + "): the client bundle's user must be "
                    + "a UCP administrator (or have full control over the DTR containers); use such a bundle";
        }
        if (find(failure, SocketTimeoutException.class) != null || find(failure, InterruptedIOException.class) != null) {
            return where + " did not answer within the discovery timeout (" + cause + "): check that the engine or UCP "
                    + "is healthy and not overloaded, or raise DTR_BACKUP_DOCKER_TIMEOUT";
        }
        if (failure instanceof IllegalArgumentException) {
            return "cannot use " + where + ": " + failure.getMessage();
        }
        if (api != null && api.getHttpStatus() > 0) {
            return where + " answered HTTP " + api.getHttpStatus() + " (" + cause + "): check the engine's health and "
                    + "that docker.endpoint in the cluster registry points at UCP or the DTR node's engine";
        }
        if (cluster.docker().clientBundle() != null && closedByPeer(failure)) {
            // Under TLS 1.3 the client's handshake ends before the engine checks the client certificate:
            // a refused bundle shows only as the connection closing under the first request.
            return where + " closed the TLS connection (" + cause + "): when the engine or UCP is up, this is how it "
                    + "refuses the client bundle " + cluster.docker().clientBundle() + " (expired, revoked or for "
                    + "another cluster); download a fresh UCP client bundle of an admin user into that directory and "
                    + "request the backup again";
        }
        if (find(failure, ConnectException.class) != null || find(failure, UnknownHostException.class) != null
                || find(failure, IOException.class) != null) {
            return "cannot reach " + where + " (" + cause + "): check that the engine or UCP is up, that docker.endpoint "
                    + "in the cluster registry is right and that this host may connect to it; then request the backup "
                    + "again";
        }
        return "reading DTR containers from " + where + " failed (" + cause + "): check the engine's health and the "
                + "discovery-service log, then request the backup again";
    }

    /** The peer closed an established connection (not a refused connect). */
    private static boolean closedByPeer(Throwable failure) {
        for (Throwable t = failure; t != null; t = t.getCause() == t ? null : t.getCause()) {
            if (t.getClass().getSimpleName().equals("NoHttpResponseException")) {
                return true;
            }
            if (t instanceof SocketException && !(t instanceof ConnectException) && t.getMessage() != null) {
                String m = t.getMessage().toLowerCase(Locale.ROOT);
                if (m.contains("broken pipe") || m.contains("connection reset")) {
                    return true;
                }
            }
        }
        return false;
    }

    private static <T extends Throwable> T find(Throwable failure, Class<T> type) {
        for (Throwable t = failure; t != null; t = t.getCause() == t ? null : t.getCause()) {
            if (type.isInstance(t)) {
                return type.cast(t);
            }
        }
        return null;
    }

    private static String rootDescription(Throwable failure) {
        Throwable root = failure;
        while (root.getCause() != null && root.getCause() != root) {
            root = root.getCause();
        }
        String message = root.getMessage();
        if (message != null) {
            int newline = message.indexOf('\n');
            message = newline < 0 ? message : message.substring(0, newline);
            if (message.length() > 300) {
                message = message.substring(0, 300) + "...";
            }
        }
        return root.getClass().getSimpleName() + (message == null ? "" : ": " + message);
    }
}
