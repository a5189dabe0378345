package io.dtrbackup.image.docker;

import com.fasterxml.jackson.databind.JsonNode;
import io.dtrbackup.common.docker.DockerApiException;
import io.dtrbackup.common.docker.DockerEngine;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.List;

/**
 * Where a replica's registry volume is and which container can serve its content through the
 * engine's archive endpoint.
 *
 * @param volumeName the volume as the engine names it
 * @param mountpoint the volume's directory on its node, as the engine reports it
 *        ({@code /var/lib/docker/volumes/<name>/_data} on a default engine)
 * @param createdAt the volume's creation time (stands in for its folder's mtime), or null
 * @param containerId a container mounting the volume
 * @param containerName its name (without the leading slash)
 * @param destination where that container mounts the volume (e.g. {@code /storage})
 */
public record RegistryVolume(String volumeName, String mountpoint, Instant createdAt, String containerId,
        String containerName, String destination) {

    /** Thrown when the volume or a container mounting it cannot be found; the message says what to do. */
    public static final class NotFound extends DockerApiException {
        public NotFound(String message) {
            super(message, 404);
        }
    }

    /**
     * Finds the volume and a container that mounts it: the replica's {@code dtr-registry-<id>}
     * container first, else any container mounting the volume (running ones first).
     */
    public static RegistryVolume locate(DockerEngine engine, String volumeName, String replicaId, String node)
            throws DockerApiException {
        String api = engine.apiPrefix();
        JsonNode volume = null;
        String name = volumeName;
        List<String> candidates = new ArrayList<>();
        candidates.add(volumeName);
        if (node != null && !node.isBlank()) {
            candidates.add(node + "/" + volumeName); // UCP (classic swarm) may name volumes per node
        }
        for (String candidate : candidates) {
            try {
                volume = engine.getJson(api + "/volumes/" + encodePath(candidate));
                name = candidate;
                break;
            } catch (DockerApiException e) {
                if (!e.isNotFound()) {
                    throw e;
                }
            }
        }
        if (volume == null) {
            throw new NotFound("volume " + volumeName + " does not exist on " + engine.endpoint()
                    + ": check that replica " + replicaId + " still exists (docker volume ls) and that the backup "
                    + "targets the right cluster; re-run discovery if the replica was replaced");
        }
        String mountpoint = volume.path("Mountpoint").asText("");
        if (!mountpoint.startsWith("/") || mountpoint.length() < 2) {
            throw new DockerApiException("volume " + name + " on " + engine.endpoint() + " reports no usable Mountpoint ('"
                    + mountpoint + "'); its driver is not a local one this service can archive", 500);
        }
        Instant created = null;
        try {
            String c = volume.path("CreatedAt").asText("");
            created = c.isEmpty() ? null : java.time.OffsetDateTime.parse(c).toInstant();
        } catch (DateTimeParseException e) {
            created = null; // an odd timestamp only costs the folder's mtime
        }

        String filters = "{\"volume\":[\"" + jsonEscape(volumeName) + "\"]}";
        JsonNode containers = engine.getJson(api + "/containers/json?all=1&filters="
                + URLEncoder.encode(filters, StandardCharsets.UTF_8));
        String registryName = "dtr-registry-" + replicaId;
        JsonNode best = null;
        String bestDestination = null;
        int bestScore = -1;
        for (JsonNode c : containers) {
            String destination = null;
            // The filter is an unanchored match: check the mounts ourselves.
            for (JsonNode m : c.path("Mounts")) {
                String mountName = m.path("Name").asText("");
                if (mountName.equals(volumeName) || mountName.equals(name)) {
                    destination = m.path("Destination").asText(null);
                }
            }
            if (destination == null || destination.isEmpty()) {
                continue;
            }
            int score = 0;
            for (JsonNode n : c.path("Names")) {
                String cn = n.asText("");
                if (cn.equals("/" + registryName) || cn.endsWith("/" + registryName)) {
                    score += 2;
                }
            }
            if ("running".equals(c.path("State").asText())) {
                score += 1;
            }
            if (score > bestScore) {
                best = c;
                bestDestination = destination;
                bestScore = score;
            }
        }
        if (best == null) {
            throw new NotFound("no container mounts volume " + volumeName + " on " + engine.endpoint() + " (the "
                    + registryName + " container is gone): restore or re-create the replica's registry container, "
                    + "then run the backup again");
        }
        String containerName = best.path("Names").path(0).asText(best.path("Id").asText());
        if (containerName.startsWith("/")) {
            containerName = containerName.substring(1);
        }
        return new RegistryVolume(name, mountpoint, created, best.path("Id").asText(), containerName, bestDestination);
    }

    /**
     * Opens the engine's archive of the mount: a tar whose names start with the mount
     * destination's base name. The caller closes the response.
     */
    public DockerEngine.Response openArchive(DockerEngine engine) throws DockerApiException {
        String path = engine.apiPrefix() + "/containers/" + encodePath(containerId) + "/archive?path="
                + URLEncoder.encode(destination, StandardCharsets.UTF_8);
        DockerEngine.Response response = engine.get(path);
        if (response.status() != 200) {
            String message = response.errorMessage();
            int status = response.status();
            response.close();
            if (status == 404) {
                throw new NotFound("container " + containerName + " (mounting " + volumeName + ") is gone from "
                        + engine.endpoint() + " (" + message + "): restore the replica's registry container, then run "
                        + "the backup again");
            }
            throw new DockerApiException("Docker API " + engine.endpoint() + " refused the archive of " + containerName
                    + ":" + destination + ": HTTP " + status + " " + message, status);
        }
        return response;
    }

    /** The archive's entry-name root: the base name of the mount destination ({@code storage}). */
    public String archiveRoot() {
        String d = destination;
        while (d.endsWith("/") && d.length() > 1) {
            d = d.substring(0, d.length() - 1);
        }
        return d.substring(d.lastIndexOf('/') + 1);
    }

    static String encodePath(String segment) {
        return URLEncoder.encode(segment, StandardCharsets.UTF_8).replace("+", "%20");
    }

    private static String jsonEscape(String s) {
        return s.replace("\\", "\\\\").replace("\"", "\\\"");
    }

    /** For logs. */
    @Override
    public String toString() {
        return volumeName + " at " + mountpoint + " via " + containerName + ":" + destination;
    }
}
