package io.dtrbackup.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.MappingIterator;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import io.dtrbackup.common.clusters.ClusterNeeds;
import io.dtrbackup.contract.config.ConfigParameter;
import io.dtrbackup.contract.config.ServiceConfig;
import io.dtrbackup.contract.topics.Topic;
import io.dtrbackup.contract.topics.Topics;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/**
 * What can be checked of deploy/ without Docker Compose or a cluster: every YAML parses (all
 * documents); every {@code DTR_BACKUP_*} key given to a service in compose.yaml and the Kubernetes
 * manifests is one of that service's declared parameters (its {@code *ServiceConfig.parameters()});
 * the topic jobs create exactly the topics of {@link Topics} with their partitions and configs;
 * secrets appear only as file paths (and placeholders in the example Secret).
 */
class DeployManifestsTest {
    static final Path DEPLOY = Path.of("").toAbsolutePath().getParent().resolve("deploy");
    static final YAMLMapper YAML = new YAMLMapper();
    /** Read outside ServiceConfig: logback.xml's root level and ServiceConfig's properties-file pointer. */
    static final Set<String> NOT_PARAMETERS = Set.of("DTR_BACKUP_LOG_LEVEL", ServiceConfig.CONFIG_FILE_ENV);
    /** Names that hold a secret's value: only allowed as *_FILE / *_DIR pointers. */
    static final Pattern SECRET_NAME = Pattern.compile(".*(PASSWORD|PASSPHRASE|SECRET|ACCESS_KEY|TOKEN|PRIVATE).*");
    /** The live board's Compose service and Kubernetes Deployment: the CLI's `board` command, not a pipeline service. */
    static final String BOARD = "board";
    static final Pattern CREATE = Pattern.compile("^\\s*create\\s+(\\S+)\\s+(\\d+)((?:\\s+[\\w.]+=\\S+)*)\\s*$",
            Pattern.MULTILINE);

    static List<JsonNode> documents(Path file) throws IOException {
        List<JsonNode> docs = new ArrayList<>();
        try (MappingIterator<JsonNode> it = YAML.readerFor(JsonNode.class).readValues(file.toFile())) {
            while (it.hasNext()) {
                JsonNode doc = it.next();
                if (doc != null && !doc.isNull() && !doc.isMissingNode()) {
                    docs.add(doc);
                }
            }
        }
        return docs;
    }

    static List<Path> yamlFiles() throws IOException {
        try (var s = Files.walk(DEPLOY)) {
            return s.filter(p -> p.toString().endsWith(".yaml") || p.toString().endsWith(".yml")).sorted().toList();
        }
    }

    static Map<String, Set<String>> declaredEnv() {
        Map<String, Set<String>> byService = new TreeMap<>();
        for (Services.Service s : Services.all()) {
            byService.put(s.name(), s.parameters().stream().map(ConfigParameter::envName).collect(Collectors.toSet()));
        }
        return byService;
    }

    /** service name -> its env (name -> value) in compose.yaml. */
    static Map<String, Map<String, String>> composeEnv() throws IOException {
        JsonNode compose = documents(DEPLOY.resolve("compose.yaml")).get(0);
        Map<String, Map<String, String>> env = new LinkedHashMap<>();
        compose.get("services").fields().forEachRemaining(e -> env.put(e.getKey(), envOf(e.getValue().get("environment"))));
        return env;
    }

    static Map<String, String> envOf(JsonNode environment) {
        Map<String, String> env = new LinkedHashMap<>();
        if (environment == null) {
            return env;
        }
        if (environment.isArray()) { // KEY=value list form
            environment.forEach(n -> {
                String[] kv = n.asText().split("=", 2);
                env.put(kv[0], kv.length > 1 ? kv[1] : null);
            });
        } else if (environment.isObject()) {
            environment.fields().forEachRemaining(e -> env.put(e.getKey(), e.getValue().isNull() ? null : e.getValue().asText()));
        }
        return env;
    }

    /** Kubernetes workload name -> env of its containers (name -> value; valueFrom gives null). */
    static Map<String, Map<String, String>> kubernetesEnv() throws IOException {
        Map<String, Map<String, String>> env = new LinkedHashMap<>();
        for (Path file : k8sFiles()) {
            for (JsonNode doc : documents(file)) {
                JsonNode pod = doc.at("/spec/template/spec");
                if (pod.isMissingNode()) {
                    continue;
                }
                Map<String, String> vars = new LinkedHashMap<>();
                for (JsonNode c : pod.path("containers")) {
                    for (JsonNode e : c.path("env")) {
                        vars.put(e.get("name").asText(), e.has("value") ? e.get("value").asText() : null);
                    }
                }
                env.put(doc.at("/metadata/name").asText(), vars);
            }
        }
        return env;
    }

    static List<Path> k8sFiles() throws IOException {
        try (var s = Files.list(DEPLOY.resolve("k8s"))) {
            return s.filter(p -> p.toString().endsWith(".yaml")).sorted().toList();
        }
    }

    @Test
    void everyYamlUnderDeployParses() throws IOException {
        List<Path> files = yamlFiles();
        assertThat(files).extracting(p -> DEPLOY.relativize(p).toString())
                .contains("compose.yaml", "clusters.example.yaml", "k8s/010-namespace.yaml", "k8s/050-topics-job.yaml");
        for (Path f : files) {
            assertThat(documents(f)).as(f.toString()).isNotEmpty().allSatisfy(d -> assertThat(d.isObject()).isTrue());
        }
        // The example Secret file holds five Secret documents (S3, passphrases, UCP, a bundle, the board's token).
        assertThat(documents(DEPLOY.resolve("k8s/030-secrets.example.yaml"))).hasSize(5)
                .allSatisfy(d -> assertThat(d.get("kind").asText()).isEqualTo("Secret"));
    }

    @Test
    void kubernetesManifestsAreNumberedInApplyOrderWithADeploymentPerService() throws IOException {
        List<String> names = k8sFiles().stream().map(p -> p.getFileName().toString()).toList();
        assertThat(names).allMatch(n -> n.matches("\\d{3}-[a-z0-9.-]+\\.yaml"));
        assertThat(names).isSorted();
        Map<String, JsonNode> deployments = new TreeMap<>();
        for (Path f : k8sFiles()) {
            for (JsonNode d : documents(f)) {
                assertThat(d.has("apiVersion") && d.has("kind") && d.at("/metadata/name").isTextual()).as(f.toString())
                        .isTrue();
                if (d.get("kind").asText().equals("Deployment")) {
                    deployments.put(d.at("/metadata/name").asText(), d);
                }
            }
        }
        Set<String> expected = new java.util.TreeSet<>(declaredEnv().keySet());
        expected.add(BOARD);
        assertThat(deployments.keySet()).containsExactlyElementsOf(expected);
        deployments.forEach((name, d) -> {
            JsonNode pod = d.at("/spec/template");
            JsonNode c = pod.at("/spec/containers/0");
            if (!name.equals(BOARD)) { // the board has no /metrics: it exports nothing of its own
                assertThat(pod.at("/metadata/annotations/prometheus.io~1scrape").asText()).as(name).isEqualTo("true");
                assertThat(pod.at("/metadata/annotations/prometheus.io~1path").asText()).isEqualTo("/metrics");
                assertThat(pod.at("/metadata/annotations/prometheus.io~1port").asText()).isEqualTo("8080");
                assertThat(envOfContainer(c)).containsEntry("DTR_BACKUP_HTTP_PORT", "8080");
            }
            assertThat(c.at("/livenessProbe/httpGet/path").asText()).as(name).isEqualTo("/health/live");
            assertThat(c.at("/readinessProbe/httpGet/path").asText()).as(name).isEqualTo("/health/ready");
            // Secret volumes are mounted read-only.
            Set<String> secretVolumes = new java.util.HashSet<>();
            pod.at("/spec/volumes").forEach(v -> {
                if (v.has("secret")) {
                    secretVolumes.add(v.get("name").asText());
                }
            });
            c.path("volumeMounts").forEach(m -> {
                if (secretVolumes.contains(m.get("name").asText())) {
                    assertThat(m.path("readOnly").asBoolean()).as(name + " mounts " + m.get("name") + " read-only").isTrue();
                }
            });
        });
    }

    static Map<String, String> envOfContainer(JsonNode container) {
        Map<String, String> vars = new LinkedHashMap<>();
        container.path("env").forEach(e -> vars.put(e.get("name").asText(), e.path("value").asText(null)));
        return vars;
    }

    @Test
    void everyDtrBackupKeyGivenToAServiceIsOneItDeclares() throws IOException {
        Map<String, Set<String>> declared = declaredEnv();
        Map<String, Map<String, String>> compose = composeEnv();
        Map<String, Map<String, String>> k8s = kubernetesEnv();
        for (String service : declared.keySet()) {
            assertThat(compose).as("compose.yaml service").containsKey(service);
            assertThat(k8s).as("Kubernetes Deployment").containsKey(service);
        }
        List<String> problems = new ArrayList<>();
        Map<String, Map<String, String>> all = new LinkedHashMap<>();
        compose.forEach((s, env) -> all.put("compose.yaml " + s, env));
        k8s.forEach((s, env) -> all.put("k8s " + s, env));
        all.forEach((where, env) -> {
            String service = where.substring(where.indexOf(' ') + 1);
            for (String key : env.keySet()) {
                if (!key.startsWith("DTR_BACKUP_") || NOT_PARAMETERS.contains(key)) {
                    continue;
                }
                Set<String> known = service.equals(BOARD) ? Set.copyOf(BoardCommand.ENVIRONMENT) : declared.get(service);
                if (known == null) {
                    problems.add(where + ": " + key + " given to something that is not a dtr-backup service");
                } else if (!known.contains(key)) {
                    problems.add(where + ": " + key + " is not a parameter of " + service);
                }
            }
        });
        assertThat(problems).isEmpty();
        // What every service needs to run outside the embedded stack is there.
        declared.keySet().forEach(s -> {
            assertThat(compose.get(s)).as(s).containsKeys("DTR_BACKUP_KAFKA_BOOTSTRAP_SERVERS", "DTR_BACKUP_HTTP_PORT")
                    .containsEntry("DTR_BACKUP_KAFKA_CREATE_TOPICS", "false");
            assertThat(k8s.get(s)).as(s).containsKeys("DTR_BACKUP_KAFKA_BOOTSTRAP_SERVERS", "DTR_BACKUP_HTTP_PORT")
                    .containsEntry("DTR_BACKUP_KAFKA_CREATE_TOPICS", "false");
        });
        for (String s : List.of("metadata-service", "image-service", "crypto-service", "verify-service")) {
            assertThat(compose.get(s)).as(s).containsKeys("DTR_BACKUP_S3_ACCESS_KEY_FILE", "DTR_BACKUP_S3_SECRET_KEY_FILE");
            assertThat(k8s.get(s)).as(s).containsKeys("DTR_BACKUP_S3_ACCESS_KEY_FILE", "DTR_BACKUP_S3_SECRET_KEY_FILE");
        }
        assertThat(compose.get("discovery-service")).containsKey("DTR_BACKUP_CLUSTERS_FILE");
        assertThat(k8s.get("discovery-service")).containsKey("DTR_BACKUP_CLUSTERS_FILE");
    }

    /** What TopicCreator creates: name -> "partitions configs". */
    static Map<String, String> expectedTopics() {
        Map<String, String> expected = new TreeMap<>();
        int partitions = Integer.parseInt(io.dtrbackup.contract.config.CommonConfig.KAFKA_TOPIC_PARTITIONS.defaultValue());
        for (Topic t : Topics.all()) {
            expected.put(t.name(), (t == Topics.CLUSTER_STATE ? 1 : partitions) + " " + new TreeMap<>(t.configs()));
        }
        expected.put(Topics.DEAD_LETTER, "1 " + new TreeMap<>(Topics.deadLetterConfigs()));
        return expected;
    }

    static Map<String, String> createdTopics(String script) {
        Map<String, String> created = new TreeMap<>();
        Matcher m = CREATE.matcher(script);
        while (m.find()) {
            Map<String, String> configs = new TreeMap<>();
            for (String kv : m.group(3).trim().split("\\s+")) {
                if (!kv.isBlank()) {
                    String[] p = kv.split("=", 2);
                    configs.put(p[0], p[1]);
                }
            }
            assertThat(created.put(m.group(1), m.group(2) + " " + configs)).as("created twice: " + m.group(1)).isNull();
        }
        return created;
    }

    @Test
    void theTopicJobsCreateEveryTopicOfTopicsAsItIsDeclared() throws IOException {
        JsonNode compose = documents(DEPLOY.resolve("compose.yaml")).get(0);
        String composeScript = compose.at("/services/topics/command/0").asText();
        JsonNode job = documents(DEPLOY.resolve("k8s/050-topics-job.yaml")).get(0);
        assertThat(job.get("kind").asText()).isEqualTo("Job");
        String k8sScript = job.at("/spec/template/spec/containers/0/args/0").asText();
        Map<String, String> expected = expectedTopics();
        assertThat(expected).hasSize(8);
        assertThat(createdTopics(composeScript)).as("compose topics job").isEqualTo(expected);
        assertThat(createdTopics(k8sScript)).as("Kubernetes topics job").isEqualTo(expected);
    }

    @Test
    void prometheusAndGrafanaRunFromTheRepositorysFilesReadOnlyWithAFileSecret() throws IOException {
        JsonNode services = documents(DEPLOY.resolve("compose.yaml")).get(0).get("services");
        // Host ports of every service only on the loopback interface.
        services.fields().forEachRemaining(e -> e.getValue().path("ports").forEach(port ->
                assertThat(port.asText()).as(e.getKey() + " port").startsWith("127.0.0.1:")));
        Map<String, List<String>> mounts = new LinkedHashMap<>();
        for (String s : List.of("prometheus", "grafana")) {
            List<String> files = new ArrayList<>();
            services.get(s).path("volumes").forEach(v -> {
                String[] parts = v.asText().split(":");
                if (parts[0].startsWith("./")) {
                    assertThat(parts).as(s + " mounts " + v.asText() + " read-only").hasSize(3);
                    assertThat(parts[2]).as(s + " mounts " + v.asText()).isEqualTo("ro");
                    assertThat(DEPLOY.resolve(parts[0])).as(s + " mounts " + parts[0]).exists();
                    files.add(parts[0]);
                }
            });
            mounts.put(s, files);
        }
        assertThat(mounts.get("prometheus")).containsExactlyInAnyOrder("./prometheus/prometheus.yml",
                "./prometheus/dtr-backup-rules.yaml");
        assertThat(mounts.get("grafana")).containsExactlyInAnyOrder("./grafana/provisioning", "./grafana/dtr-backup.json");
        Map<String, String> grafana = envOf(services.get("grafana").get("environment"));
        assertThat(grafana).containsEntry("GF_SECURITY_ADMIN_PASSWORD__FILE", "/run/secrets/grafana-admin-password")
                .doesNotContainKey("GF_SECURITY_ADMIN_PASSWORD");
        assertThat(services.get("grafana").get("secrets").toString()).contains("grafana-admin-password");
    }

    @Test
    void secretsAppearOnlyAsFilePaths() throws IOException {
        List<String> problems = new ArrayList<>();
        Map<String, Map<String, String>> all = new LinkedHashMap<>();
        composeEnv().forEach((s, env) -> all.put("compose.yaml " + s, env));
        kubernetesEnv().forEach((s, env) -> all.put("k8s " + s, env));
        all.forEach((where, env) -> env.forEach((key, value) -> {
            boolean pointer = key.endsWith("_FILE") || key.endsWith("_DIR");
            if (SECRET_NAME.matcher(key).matches() && !pointer) {
                problems.add(where + ": " + key + " carries a secret value; give a file (" + key + "_FILE)");
            }
            if (pointer && (value == null || !value.startsWith("/"))) {
                problems.add(where + ": " + key + " must be an absolute file path, is " + value);
            }
        }));
        // Compose secrets come from files only.
        JsonNode compose = documents(DEPLOY.resolve("compose.yaml")).get(0);
        compose.path("secrets").fields().forEachRemaining(e -> {
            if (!e.getValue().has("file") || e.getValue().size() != 1) {
                problems.add("compose.yaml secret " + e.getKey() + " must be `file:` only");
            }
        });
        // Kubernetes Secrets: placeholders only, and only in the example file.
        for (Path f : k8sFiles()) {
            for (JsonNode d : documents(f)) {
                if (!d.path("kind").asText().equals("Secret")) {
                    continue;
                }
                if (!f.getFileName().toString().endsWith(".example.yaml")) {
                    problems.add(f.getFileName() + ": a Secret outside an *.example.yaml file");
                }
                for (String section : List.of("data", "stringData")) {
                    Iterator<Map.Entry<String, JsonNode>> it = d.path(section).fields();
                    while (it.hasNext()) {
                        Map.Entry<String, JsonNode> e = it.next();
                        if (!e.getValue().asText().equals("REPLACE_ME")) {
                            problems.add(f.getFileName() + ": " + e.getKey() + " is not the placeholder REPLACE_ME");
                        }
                    }
                }
            }
        }
        // The cluster registries name secrets by path.
        for (String registry : List.of(Files.readString(DEPLOY.resolve("clusters.example.yaml")),
                documents(DEPLOY.resolve("k8s/040-configmap-clusters.yaml")).get(0).at("/data/clusters.yaml").asText())) {
            JsonNode clusters = YAML.readTree(registry).get("clusters");
            assertThat(clusters).isNotEmpty();
            clusters.forEach(c -> {
                assertThat(c.at("/ucp/password").isMissingNode()).as("inline UCP password").isTrue();
                assertThat(c.at("/ucp/passwordFile").asText()).startsWith("/");
            });
        }
        assertThat(problems).isEmpty();
    }

    /**
     * The board is deployed as its rules require: its arguments parse as the {@code board} command's
     * options; off loopback it has a token file, an absolute path from a read-only secret (a Compose
     * secret file, a Kubernetes Secret volume); Compose publishes it on the host's loopback only; the
     * probes ask its health paths; and the image runs the CLI jar's {@code board} command.
     */
    @Test
    void theBoardRunsTheBoardCommandBehindItsTokenWithItsProbes() throws IOException {
        JsonNode compose = documents(DEPLOY.resolve("compose.yaml")).get(0);
        JsonNode service = compose.at("/services/" + BOARD);
        assertThat(service.isMissingNode()).as("compose.yaml has a board service").isFalse();
        List<String> composeArgs = texts(service.get("command"));
        String composeToken = boardTokenFile(composeArgs, "compose.yaml");
        assertThat(composeToken).startsWith("/run/secrets/");
        String secret = composeToken.substring("/run/secrets/".length());
        assertThat(texts(service.get("secrets"))).as("compose board secrets").contains(secret);
        assertThat(compose.at("/secrets/" + secret + "/file").asText()).as("compose secret " + secret).startsWith("./secrets/");
        assertThat(texts(service.get("ports"))).as("published on the host's loopback only").isNotEmpty()
                .allMatch(p -> p.startsWith("127.0.0.1:"));
        // The shared `&probe` anchor: when the reader leaves the alias unexpanded, check what it points at.
        JsonNode probe = service.get("healthcheck");
        String probeTest = probe.has("test") ? probe.get("test").toString()
                : compose.at("/services/discovery-service/healthcheck/test").toString();
        assertThat(probeTest).as("board healthcheck").contains("/health/ready");

        JsonNode deployment = null;
        JsonNode k8sService = null;
        for (JsonNode d : documents(DEPLOY.resolve("k8s/110-deployment-board.yaml"))) {
            if (d.get("kind").asText().equals("Deployment")) {
                deployment = d;
            } else if (d.get("kind").asText().equals("Service")) {
                k8sService = d;
            }
        }
        assertThat(deployment).as("110-deployment-board.yaml has the Deployment").isNotNull();
        assertThat(k8sService).as("and a Service").isNotNull();
        assertThat(k8sService.at("/spec/selector/app.kubernetes.io~1name").asText()).isEqualTo(BOARD);
        JsonNode c = deployment.at("/spec/template/spec/containers/0");
        String k8sToken = boardTokenFile(texts(c.get("args")), "110-deployment-board.yaml");
        JsonNode mount = null;
        for (JsonNode m : c.path("volumeMounts")) {
            if (k8sToken.startsWith(m.get("mountPath").asText() + "/")) {
                mount = m;
            }
        }
        assertThat(mount).as("the token file " + k8sToken + " is on a mounted volume").isNotNull();
        assertThat(mount.path("readOnly").asBoolean()).as("mounted read-only").isTrue();
        String volume = mount.get("name").asText();
        boolean fromSecret = false;
        for (JsonNode v : deployment.at("/spec/template/spec/volumes")) {
            if (v.get("name").asText().equals(volume) && v.has("secret")) {
                fromSecret = true;
            }
        }
        assertThat(fromSecret).as("the token volume is a Secret").isTrue();

        String dockerfile = Files.readString(DEPLOY.resolve("docker/board.Dockerfile"));
        assertThat(dockerfile).contains("COPY cli/target/dtr-backup-cli.jar ")
                .contains("\"-jar\", \"/opt/dtr-backup/dtr-backup-cli.jar\", \"board\"]").contains("USER 10001");
    }

    /** What each service uses of a cluster (the ClusterNeeds it loads the registry with); absent = no clusters file. */
    static final Map<String, ClusterNeeds> CLUSTER_NEEDS = Map.of(
            "discovery-service", ClusterNeeds.DOCKER_ONLY,
            "image-service", ClusterNeeds.DOCKER_ONLY,
            "metadata-service", ClusterNeeds.DOCKER_AND_UCP,
            "verify-service", ClusterNeeds.POLICY_ONLY);

    /**
     * Each service is given exactly the cluster secrets it opens: client bundles where it talks to
     * Docker, the UCP password where it runs docker/dtr, neither elsewhere (a service refuses to start
     * without what it needs, and a secret where it is unused only widens who can read it).
     */
    @Test
    void eachServiceGetsExactlyTheClusterSecretsItNeeds() throws IOException {
        JsonNode compose = documents(DEPLOY.resolve("compose.yaml")).get(0);
        List<String> problems = new ArrayList<>();
        for (Services.Service service : Services.all()) {
            ClusterNeeds needs = CLUSTER_NEEDS.getOrDefault(service.name(), new ClusterNeeds(false, false));
            JsonNode c = compose.at("/services/" + service.name());
            boolean ucpPassword = texts(c.get("secrets")).stream().anyMatch(n -> n.endsWith("-ucp-password"));
            boolean bundles = texts(c.get("volumes")).stream().anyMatch(v -> v.contains(":/etc/dtr-backup/bundles"));
            expect(problems, "compose " + service.name() + " UCP password", needs.ucpCredentials(), ucpPassword);
            expect(problems, "compose " + service.name() + " client bundles", needs.dockerConnection(), bundles);
        }
        for (Path file : k8sFiles()) {
            for (JsonNode doc : documents(file)) {
                String name = doc.at("/metadata/name").asText();
                JsonNode pod = doc.at("/spec/template/spec");
                if (pod.isMissingNode() || Services.all().stream().noneMatch(s -> s.name().equals(name))) {
                    continue;
                }
                ClusterNeeds needs = CLUSTER_NEEDS.getOrDefault(name, new ClusterNeeds(false, false));
                List<String> volumes = new ArrayList<>();
                pod.path("volumes").forEach(v -> volumes.add(v.path("secret").path("secretName").asText()));
                expect(problems, file.getFileName() + " UCP password", needs.ucpCredentials(),
                        volumes.contains("dtr-backup-ucp"));
                expect(problems, file.getFileName() + " client bundles", needs.dockerConnection(),
                        volumes.stream().anyMatch(v -> v.startsWith("dtr-backup-bundle-")));
            }
        }
        assertThat(problems).isEmpty();
    }

    static void expect(List<String> problems, String what, boolean needed, boolean given) {
        if (needed != given) {
            problems.add(what + (needed ? ": needed but not given" : ": given but not needed"));
        }
    }

    /** Parses the arguments as the board command does; returns the token file, required off loopback. */
    static String boardTokenFile(List<String> args, String where) {
        BoardCommand board = new BoardCommand();
        new picocli.CommandLine(board).parseArgs(args.toArray(String[]::new));
        boolean loopback = board.bind.startsWith("127.") || board.bind.equals("::1") || board.bind.equals("localhost");
        if (!loopback) {
            assertThat(board.tokenFile).as(where + ": --bind " + board.bind + " needs --token-file").isNotNull();
        }
        assertThat(board.tokenFile).as(where + " token file").isNotNull();
        assertThat(board.tokenFile.isAbsolute()).as(where + " token file is an absolute path").isTrue();
        return board.tokenFile.toString();
    }

    static List<String> texts(JsonNode array) {
        List<String> out = new ArrayList<>();
        if (array != null) {
            array.forEach(n -> out.add(n.asText()));
        }
        return out;
    }
}
