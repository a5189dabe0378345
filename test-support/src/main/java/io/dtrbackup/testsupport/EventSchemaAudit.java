package io.dtrbackup.testsupport;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.networknt.schema.Error;
import com.networknt.schema.Schema;
import com.networknt.schema.SchemaRegistry;
import com.networknt.schema.SpecificationVersion;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.TreeMap;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

/**
 * Holds every record on the pipeline's topics to the published JSON Schemas: reads each topic
 * that has a schema in {@code docs/schemas/topics/} (every topic of {@code Topics.all()} and the
 * dead-letter topic, as generated from the event records) from the beginning to its end and
 * validates each value against its topic's schema, so an event of the wrong type on a topic fails
 * as much as a renamed or extra field.
 *
 * <p>Records the pipeline itself refused are not the producers' output but a test's poison: a
 * record whose (topic, partition, offset) is the source of a dead letter is skipped and counted
 * (its dead letter is validated like every other record). Anything else that does not validate
 * fails the audit, naming topic, partition, offset, type and the violations.
 *
 * <p>{@link EmbeddedKafka#close()} runs it when the system property {@value #ENABLED} is true
 * (the build sets it for every integration test JVM), so every IT that used a broker is covered.
 */
public final class EventSchemaAudit {
    /** System property that turns the audit on in {@link EmbeddedKafka#close()}. */
    public static final String ENABLED = "dtr-backup.event-audit";
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String DEAD_LETTER = "dtr-backup.dead-letter";
    private static final int MAX_REPORTED = 40;

    private EventSchemaAudit() {
    }

    /** What the audit validated: records per topic and type, and what it skipped. */
    public record Report(Map<String, Map<String, Integer>> valid, int deadLetteredSkipped, int tombstones,
            List<String> violations) {

        public int validRecords() {
            return valid.values().stream().flatMap(m -> m.values().stream()).mapToInt(Integer::intValue).sum();
        }

        /** Records of each type that validated, over all topics. */
        public Map<String, Integer> byType() {
            Map<String, Integer> types = new TreeMap<>();
            valid.values().forEach(m -> m.forEach((type, n) -> types.merge(type, n, Integer::sum)));
            return types;
        }

        /** Fails unless at least one record of each named type was validated. */
        public Report assertValidated(String... types) {
            List<String> missing = Stream.of(types).filter(t -> !byType().containsKey(t)).toList();
            if (!missing.isEmpty()) {
                throw new AssertionError("event schema audit saw no " + missing + " record; it validated " + this);
            }
            return this;
        }

        @Override
        public String toString() {
            return validRecords() + " records valid " + valid + ", " + deadLetteredSkipped
                    + " dead-lettered originals skipped, " + tombstones + " tombstones";
        }
    }

    /** Audits the broker and fails with every violation found; returns what was validated. */
    public static Report check(String bootstrapServers) {
        long t0 = System.nanoTime();
        Report report = audit(bootstrapServers);
        if (!report.violations().isEmpty()) {
            List<String> shown = report.violations().subList(0, Math.min(MAX_REPORTED, report.violations().size()));
            throw new AssertionError("event schema audit: " + report.violations().size()
                    + " record(s) on " + bootstrapServers + " do not match docs/schemas/:\n  "
                    + String.join("\n  ", shown) + "\n(" + report + ")");
        }
        // On stdout, so it shows in the build log whatever the module's logging sends elsewhere.
        System.out.println("Event schema audit of " + bootstrapServers + " in "
                + (System.nanoTime() - t0) / 1_000_000 + " ms: " + report);
        return report;
    }

    /** Audits the broker and reports, without failing. */
    public static Report audit(String bootstrapServers) {
        Path dir = schemaDir();
        SchemaRegistry registry = SchemaRegistry.withDefaultDialect(SpecificationVersion.DRAFT_2020_12);
        Map<String, Schema> topicSchemas = new TreeMap<>();
        try (Stream<Path> files = Files.list(dir.resolve("topics"))) {
            for (Path file : files.filter(f -> f.toString().endsWith(".schema.json")).toList()) {
                String name = file.getFileName().toString();
                topicSchemas.put(name.substring(0, name.length() - ".schema.json".length()),
                        registry.getSchema(JSON.readTree(file.toFile())));
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the schemas in " + dir, e);
        }
        if (!topicSchemas.containsKey(DEAD_LETTER)) {
            throw new IllegalStateException("no schema for " + DEAD_LETTER + " in " + dir);
        }
        Set<String> existing = existingTopics(bootstrapServers);
        Map<String, List<ConsumerRecord<byte[], byte[]>>> records = readAll(bootstrapServers,
                topicSchemas.keySet().stream().filter(existing::contains).toList());
        Map<String, Map<String, Integer>> valid = new TreeMap<>();
        List<String> violations = new ArrayList<>();
        Set<String> deadLettered = new HashSet<>();
        int[] tombstones = {0};

        for (ConsumerRecord<byte[], byte[]> r : records.getOrDefault(DEAD_LETTER, List.of())) {
            JsonNode letter = validate(topicSchemas.get(DEAD_LETTER), registry, dir, r, valid, violations, tombstones);
            if (letter != null && letter.hasNonNull("sourceTopic")) {
                deadLettered.add(letter.get("sourceTopic").asText() + "/" + letter.path("partition").asInt()
                        + "@" + letter.path("offset").asLong());
            }
        }
        int skipped = 0;
        for (Map.Entry<String, List<ConsumerRecord<byte[], byte[]>>> topic : records.entrySet()) {
            if (topic.getKey().equals(DEAD_LETTER)) {
                continue;
            }
            for (ConsumerRecord<byte[], byte[]> r : topic.getValue()) {
                if (deadLettered.contains(r.topic() + "/" + r.partition() + "@" + r.offset())) {
                    skipped++;
                } else {
                    validate(topicSchemas.get(topic.getKey()), registry, dir, r, valid, violations, tombstones);
                }
            }
        }
        return new Report(valid, skipped, tombstones[0], violations);
    }

    /** Validates one record; returns its JSON when it validated, else records the violation. */
    private static JsonNode validate(Schema schema, SchemaRegistry registry, Path dir, ConsumerRecord<byte[], byte[]> r,
            Map<String, Map<String, Integer>> valid, List<String> violations, int[] tombstones) {
        String where = r.topic() + " partition " + r.partition() + " offset " + r.offset();
        if (r.value() == null) {
            tombstones[0]++;
            return null;
        }
        JsonNode json;
        try {
            json = JSON.readTree(r.value());
        } catch (IOException e) {
            violations.add(where + ": not JSON: " + String.valueOf(e.getMessage()).lines().findFirst().orElse(""));
            return null;
        }
        String type = r.topic().equals(DEAD_LETTER) ? "DeadLetter" : json == null ? "?" : json.path("type").asText("?");
        List<Error> errors = schema.validate(json, ctx -> ctx.executionConfig(c -> c.formatAssertionsEnabled(true)));
        if (errors.isEmpty()) {
            valid.computeIfAbsent(r.topic(), t -> new TreeMap<>()).merge(type, 1, Integer::sum);
            return json;
        }
        // The topic schema says "not one of this topic's types"; the type's own schema says what is wrong.
        Path own = dir.resolve(type + ".schema.json");
        if (!type.equals("DeadLetter") && type.matches("[A-Za-z]+") && Files.exists(own)) {
            try {
                List<Error> detail = registry.getSchema(JSON.readTree(own.toFile())).validate(json,
                        ctx -> ctx.executionConfig(c -> c.formatAssertionsEnabled(true)));
                if (!detail.isEmpty()) {
                    errors = detail;
                } else {
                    errors = List.of();
                    violations.add(where + " " + type + ": a valid " + type + " but not a type this topic carries");
                    return null;
                }
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        violations.add(where + " " + type + ": " + errors.stream().map(e -> e.toString().replaceFirst("^: ", ""))
                .collect(Collectors.joining("; ")));
        return null;
    }

    private static Set<String> existingTopics(String bootstrapServers) {
        Properties p = new Properties();
        p.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        p.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, "30000");
        try (Admin admin = Admin.create(p)) {
            return admin.listTopics().names().get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted listing topics", e);
        } catch (Exception e) {
            throw new IllegalStateException("cannot list the topics of " + bootstrapServers, e);
        }
    }

    /** Every record of the topics, by topic, from the beginning to the end offsets taken when reading starts. */
    private static Map<String, List<ConsumerRecord<byte[], byte[]>>> readAll(String bootstrapServers,
            List<String> topics) {
        Properties p = new Properties();
        p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
        p.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        p.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, "5000");
        p.put(ConsumerConfig.FETCH_MAX_WAIT_MS_CONFIG, "50");
        Map<String, List<ConsumerRecord<byte[], byte[]>>> records = new TreeMap<>();
        try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(p, new ByteArrayDeserializer(),
                new ByteArrayDeserializer())) {
            List<TopicPartition> partitions = new ArrayList<>();
            for (String topic : topics) {
                records.put(topic, new ArrayList<>());
                consumer.partitionsFor(topic, Duration.ofSeconds(30))
                        .forEach(info -> partitions.add(new TopicPartition(topic, info.partition())));
            }
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
            Map<TopicPartition, Long> end = consumer.endOffsets(partitions, Duration.ofSeconds(30));
            long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
            while (partitions.stream().anyMatch(tp -> consumer.position(tp) < end.get(tp))) {
                if (System.nanoTime() > deadline) {
                    throw new IllegalStateException("event schema audit: could not read " + topics
                            + " to their end offsets " + end);
                }
                consumer.poll(Duration.ofMillis(200)).forEach(r -> records.get(r.topic()).add(r));
            }
        }
        return records;
    }

    /** {@code docs/schemas} of the checkout: the working directory of a module's tests, or a parent of it. */
    static Path schemaDir() {
        for (Path d = Path.of("").toAbsolutePath(); d != null; d = d.getParent()) {
            Path candidate = d.resolve("docs").resolve("schemas");
            if (Files.isDirectory(candidate.resolve("topics"))) {
                return candidate;
            }
        }
        throw new IllegalStateException("event schema audit: no docs/schemas/topics above "
                + Path.of("").toAbsolutePath());
    }
}
