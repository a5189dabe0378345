package io.dtrbackup.common.clusters;

import com.cronutils.model.CronType;
import com.cronutils.model.definition.CronDefinitionBuilder;
import com.cronutils.parser.CronParser;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.exc.UnrecognizedPropertyException;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import io.dtrbackup.contract.config.ConfigException;
import io.dtrbackup.contract.config.ConfigType;
import io.dtrbackup.contract.events.Checks;
import io.dtrbackup.contract.events.StorageKind;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Collectors;

/**
 * The clusters dtr-backup knows, read from a YAML (or JSON) file. Strict: unknown keys, missing
 * files, bad endpoints, schedules and durations are reported all at once with the cluster's ID.
 * Unencrypted transports are refused unless the cluster allows them by name: a tcp:// Docker
 * endpoint without a client bundle ({@code docker.allowPlainTcp}) and an http:// UCP url
 * ({@code ucp.allowPlainHttp}). URLs in the messages are shown without their user-info part.
 *
 * <p>Each service passes its {@link ClusterNeeds}: the shape of every entry is always checked, but
 * the client bundle, UCP password and UCP CA files are only required by the services that open them
 * (Docker bundle: discovery, image, metadata; UCP password and CA: metadata). A deployment therefore
 * mounts each secret only where it is used.
 *
 * <p>Secrets at fleet scale: a top-level {@code secretsDir} names one directory holding
 * {@code <cluster>/ucp-password} and {@code <cluster>/bundle/{ca,cert,key}.pem}; an entry that omits
 * {@code ucp.passwordFile} or (for a tcp endpoint without {@code allowPlainTcp}) {@code docker.clientBundle}
 * gets them from there. Paths written in the entry win. A relative {@code secretsDir} is relative
 * to the clusters file. Missing files are reported with the cluster's ID and the full path.
 *
 * <pre>
 * secretsDir: /run/dtr-backup/clusters   # optional: <cluster>/ucp-password, <cluster>/bundle/
 * clusters:
 *   - id: prod-eu-1
 *     docker:
 *       endpoint: tcp://ucp.example.com:443        # or unix:///var/run/docker.sock
 *       clientBundle: /etc/dtr-backup/bundles/prod-eu-1   # ca.pem, cert.pem, key.pem
 *     ucp:
 *       url: https://ucp.example.com   # http:// only with allowPlainHttp: true
 *       username: backup-admin
 *       passwordFile: /run/secrets/prod-eu-1-ucp-password
 *       caFile: /etc/dtr-backup/prod-eu-1-ucp-ca.pem
 *     storage: s3                 # optional: image content on external storage
 *     schedule: "0 2 * * *"      # optional cron, UTC
 *     freshness: 26h              # optional, default 26h
 *     retention: { keepLast: 7, maxAge: 30d }
 * </pre>
 */
public final class ClusterRegistry {
    public static final Duration DEFAULT_FRESHNESS = Duration.ofHours(26);

    private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory())
            .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
            .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES);
    private static final CronParser CRON = new CronParser(CronDefinitionBuilder.instanceDefinitionFor(CronType.UNIX));

    private final Map<String, ClusterSpec> clusters;
    private final Path source;

    private ClusterRegistry(Map<String, ClusterSpec> clusters, Path source) {
        this.clusters = clusters;
        this.source = source;
    }

    // The file's shape, as written by people; validated and turned into ClusterSpec.
    record FileModel(@JsonProperty(value = "clusters", required = true) List<ClusterEntry> clusters,
            String secretsDir) {
    }

    record ClusterEntry(String id, DockerEntry docker, UcpEntry ucp, String storage, String schedule,
            String freshness, RetentionEntry retention) {
    }

    record DockerEntry(String endpoint, String clientBundle, Boolean allowPlainTcp) {
    }

    record UcpEntry(String url, String username, String passwordFile, String caFile, Boolean fetchCa,
            Boolean insecureTls, Boolean allowPlainHttp) {
    }

    record RetentionEntry(Integer keepLast, String maxAge) {
    }

    /** Loads with every check ({@link ClusterNeeds#DOCKER_AND_UCP}). */
    public static ClusterRegistry load(Path file) {
        return load(file, ClusterNeeds.DOCKER_AND_UCP);
    }

    /** Loads {@code file}, checking the secret and certificate files only for the parts {@code needs} names. */
    public static ClusterRegistry load(Path file, ClusterNeeds needs) {
        if (file == null) {
            throw new ConfigException("no clusters file configured (DTR_BACKUP_CLUSTERS_FILE)");
        }
        if (!Files.isRegularFile(file)) {
            throw new ConfigException("clusters file " + file + " does not exist");
        }
        FileModel model;
        try {
            model = YAML.readValue(file.toFile(), FileModel.class);
        } catch (UnrecognizedPropertyException e) {
            throw new ConfigException("clusters file " + file + ": unknown key '" + e.getPropertyName() + "' at "
                    + path(e) + " (known keys: " + e.getKnownPropertyIds() + ")");
        } catch (JsonMappingException e) {
            throw new ConfigException("clusters file " + file + ": invalid value at " + path(e) + ": "
                    + e.getOriginalMessage());
        } catch (IOException e) {
            throw new ConfigException("clusters file " + file + " cannot be read: " + e.getMessage());
        }
        if (model == null || model.clusters() == null) {
            throw new ConfigException("clusters file " + file + " must have a top-level 'clusters:' list");
        }
        Path base = file.toAbsolutePath().getParent();
        Path secretsDir = model.secretsDir() == null || model.secretsDir().isBlank() ? null
                : resolve(base, model.secretsDir());
        List<String> problems = new ArrayList<>();
        Map<String, ClusterSpec> clusters = new LinkedHashMap<>();
        for (int i = 0; i < model.clusters().size(); i++) {
            ClusterEntry entry = model.clusters().get(i);
            String where = "clusters[" + i + "]" + (entry != null && entry.id() != null ? " (" + entry.id() + ")" : "");
            List<String> own = new ArrayList<>();
            ClusterSpec spec = entry == null ? null : validate(entry, base, secretsDir, needs, own);
            own.forEach(p -> problems.add(where + ": " + p));
            if (spec != null && own.isEmpty()) {
                if (clusters.putIfAbsent(spec.id(), spec) != null) {
                    problems.add(where + ": duplicate cluster id '" + spec.id() + "'");
                }
            } else if (entry == null) {
                problems.add(where + ": empty entry");
            }
        }
        if (!problems.isEmpty()) {
            throw new ConfigException("clusters file " + file + " is invalid:\n  - " + String.join("\n  - ", problems));
        }
        return new ClusterRegistry(clusters, file);
    }

    private static ClusterSpec validate(ClusterEntry e, Path base, Path secretsDir, ClusterNeeds needs,
            List<String> problems) {
        String id = e.id();
        try {
            Checks.id("id", id);
        } catch (IllegalArgumentException ex) {
            problems.add(ex.getMessage());
            secretsDir = null; // an invalid id names no directory
        }
        Path clusterSecrets = secretsDir == null ? null : secretsDir.resolve(id);
        ClusterSpec.DockerEndpoint docker = null;
        if (e.docker() == null || e.docker().endpoint() == null) {
            problems.add("docker.endpoint is required (unix:///var/run/docker.sock or tcp://host:port)");
        } else {
            String endpoint = e.docker().endpoint().trim();
            boolean plainAllowed = Boolean.TRUE.equals(e.docker().allowPlainTcp());
            Path bundle = e.docker().clientBundle() != null ? resolve(base, e.docker().clientBundle())
                    : clusterSecrets != null && endpoint.startsWith("tcp://") && !plainAllowed
                            ? clusterSecrets.resolve("bundle") : null;
            if (endpoint.startsWith("unix://")) {
                if (bundle != null) {
                    problems.add("docker.clientBundle is for tcp endpoints; " + endpoint + " is a unix socket");
                }
            } else if (endpoint.startsWith("tcp://")) {
                if (bundle == null && !plainAllowed) {
                    problems.add("docker.endpoint " + endpoint + " is tcp without a clientBundle: give the UCP client "
                            + "bundle directory (ca.pem, cert.pem, key.pem) or set allowPlainTcp: true (unencrypted, "
                            + "not for production)");
                }
                if (bundle != null && needs.dockerConnection()) {
                    for (String name : List.of("ca.pem", "cert.pem", "key.pem")) {
                        if (!Files.isRegularFile(bundle.resolve(name))) {
                            problems.add("docker.clientBundle " + bundle + " has no " + name);
                        }
                    }
                }
            } else {
                problems.add("docker.endpoint must start with unix:// or tcp://, got '" + endpoint + "'");
            }
            docker = new ClusterSpec.DockerEndpoint(endpoint, bundle, plainAllowed);
        }
        ClusterSpec.UcpSettings ucp = null;
        if (e.ucp() == null) {
            problems.add("ucp (url, username, passwordFile, caFile) is required");
        } else {
            UcpEntry u = e.ucp();
            boolean plainHttp = Boolean.TRUE.equals(u.allowPlainHttp());
            if (u.url() == null || !(u.url().startsWith("https://") || u.url().startsWith("http://"))) {
                problems.add("ucp.url must be an https:// URL, got '" + withoutUserInfo(u.url()) + "'");
            } else if (u.url().startsWith("http://") && !plainHttp) {
                problems.add("ucp.url " + withoutUserInfo(u.url()) + " is plain http://: docker/dtr would send the "
                        + "UCP password unencrypted; use UCP's https:// URL, or set ucp.allowPlainHttp: true (not for "
                        + "production)");
            }
            if (u.username() == null || u.username().isBlank()) {
                problems.add("ucp.username is required");
            }
            String passwordFile = u.passwordFile() != null || clusterSecrets == null ? u.passwordFile()
                    : clusterSecrets.resolve("ucp-password").toString();
            Path password = requiredFile(base, passwordFile, "ucp.passwordFile", needs.ucpCredentials(), problems);
            boolean fetchCa = Boolean.TRUE.equals(u.fetchCa());
            boolean insecure = Boolean.TRUE.equals(u.insecureTls());
            Path ca = null;
            if (u.caFile() != null) {
                ca = requiredFile(base, u.caFile(), "ucp.caFile", needs.ucpCredentials(), problems);
            } else if (!fetchCa && !insecure && needs.ucpCredentials()) {
                problems.add("ucp.caFile is required (or fetchCa: true to fetch <url>/ca, or insecureTls: true, "
                        + "not for production)");
            }
            ucp = new ClusterSpec.UcpSettings(u.url(), u.username(), password, ca, fetchCa, insecure, plainHttp);
        }
        StorageKind storage = null;
        if (e.storage() != null && !e.storage().equalsIgnoreCase("auto")) {
            try {
                storage = StorageKind.parse(e.storage());
            } catch (IllegalArgumentException ex) {
                problems.add("storage: " + ex.getMessage() + " or auto");
            }
        }
        if (e.schedule() != null) {
            try {
                CRON.parse(e.schedule()).validate();
            } catch (IllegalArgumentException ex) {
                problems.add("schedule '" + e.schedule() + "' is not a 5-field cron expression: " + ex.getMessage());
            }
        }
        Duration freshness = duration(e.freshness(), "freshness", DEFAULT_FRESHNESS, problems);
        ClusterSpec.Retention retention = ClusterSpec.Retention.KEEP_ALL;
        if (e.retention() != null) {
            Integer keepLast = e.retention().keepLast();
            if (keepLast != null && keepLast < 1) {
                problems.add("retention.keepLast must be >= 1 (the newest verified backup is always kept)");
            }
            retention = new ClusterSpec.Retention(keepLast, duration(e.retention().maxAge(), "retention.maxAge", null,
                    problems));
        }
        return new ClusterSpec(id, docker, ucp, storage, e.schedule(), freshness, retention);
    }

    /** {@code url} with any {@code user:password@} part masked, for messages. */
    static String withoutUserInfo(String url) {
        return url == null ? null : url.replaceFirst("^([A-Za-z][A-Za-z0-9+.-]*://)[^/?#]*@", "$1***@");
    }

    private static Duration duration(String text, String field, Duration fallback, List<String> problems) {
        if (text == null) {
            return fallback;
        }
        try {
            return ConfigType.parseDuration(text);
        } catch (RuntimeException ex) {
            problems.add(field + ": " + ex.getMessage());
            return fallback;
        }
    }

    private static Path requiredFile(Path base, String value, String field, boolean needed, List<String> problems) {
        if (value == null || value.isBlank()) {
            if (needed) {
                problems.add(field + " is required");
            }
            return null;
        }
        Path path = resolve(base, value);
        if (needed && !Files.isRegularFile(path)) {
            problems.add(field + " " + path + " does not exist");
        }
        return path;
    }

    private static Path resolve(Path base, String value) {
        Path path = Path.of(value);
        return path.isAbsolute() || base == null ? path : base.resolve(path).normalize();
    }

    private static String path(JsonMappingException e) {
        return e.getPath().stream()
                .map(ref -> ref.getFieldName() != null ? ref.getFieldName() : "[" + ref.getIndex() + "]")
                .collect(Collectors.joining("."));
    }

    public Optional<ClusterSpec> find(String clusterId) {
        return Optional.ofNullable(clusters.get(clusterId));
    }

    /** The cluster, or an exception whose message says what to do. */
    public ClusterSpec require(String clusterId) {
        ClusterSpec spec = clusters.get(clusterId);
        if (spec == null) {
            throw new UnknownClusterException("unknown cluster '" + clusterId + "': it is not in the cluster registry "
                    + source + " (known: " + String.join(", ", clusters.keySet()) + ")");
        }
        return spec;
    }

    public List<ClusterSpec> all() {
        return List.copyOf(clusters.values());
    }

    public Path source() {
        return source;
    }

    /** A request named a cluster the registry does not have. */
    public static final class UnknownClusterException extends RuntimeException {
        public UnknownClusterException(String message) {
            super(message);
        }
    }
}
