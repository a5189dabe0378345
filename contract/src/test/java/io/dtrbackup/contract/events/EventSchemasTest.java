package io.dtrbackup.contract.events;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.networknt.schema.Error;
import com.networknt.schema.Schema;
import com.networknt.schema.SchemaRegistry;
import com.networknt.schema.SpecificationVersion;
import io.dtrbackup.contract.topics.Topic;
import io.dtrbackup.contract.topics.Topics;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The generated schemas say what the codec writes and accepts: every sample event validates, and
 * for hundreds of damaged variants of them (a field removed, nulled, emptied, out of range, of
 * another enum constant, an extra field, another type name...) the schema and the codec give the
 * same verdict.
 */
class EventSchemasTest {
    private static final SchemaRegistry REGISTRY =
            SchemaRegistry.withDefaultDialect(SpecificationVersion.DRAFT_2020_12);
    private static final Map<String, Schema> SCHEMAS = new LinkedHashMap<>();

    static {
        EventSchemas.files().forEach((file, schema) -> SCHEMAS.put(file, REGISTRY.getSchema(schema)));
    }

    /** SampleEvents plus the other side of each rule between fields. */
    static List<BackupEvent> events() {
        List<BackupEvent> events = new ArrayList<>(SampleEvents.all());
        int v = BackupEvent.CURRENT_SCHEMA_VERSION;
        Instant at = SampleEvents.AT;
        events.add(new ReplicaDiscovered(v, "e2b", SampleEvents.BACKUP, SampleEvents.CLUSTER, at, Trigger.MANUAL, null,
                "a1640e1c15b6", null, "2.9.4", StorageKind.S3, null, "sticky", List.of(ArtifactKind.METADATA),
                "20261125-02_00_00", at));
        events.add(new BackupReverified(v, "e15b", SampleEvents.BACKUP, SampleEvents.CLUSTER, at, true, List.of()));
        events.add(new BackupRequested(v, "e1b", SampleEvents.BACKUP, SampleEvents.CLUSTER, Instant.now(),
                Trigger.EVENT, null, null));
        return events;
    }

    static Stream<Object> documents() {
        return Stream.concat(events().stream(), Stream.of(DeadLetter.of("crypto-service", Topics.STAGED.name(), 2, 41,
                "bk-1", "{not json".getBytes(StandardCharsets.UTF_8), "not valid JSON"), DeadLetter.of("svc",
                Topics.REQUESTS.name(), 0, 0, null, new byte[] {(byte) 0xff, 0}, "not UTF-8")));
    }

    @Test
    void everyEventTypeHasASchemaAndEveryTopicOne() {
        for (String type : EventSchemas.eventTypes().keySet()) {
            assertThat(SCHEMAS).containsKey(type + ".schema.json");
        }
        for (Topic topic : Topics.all()) {
            assertThat(SCHEMAS).containsKey("topics/" + topic.name() + ".schema.json");
        }
        assertThat(SCHEMAS).containsKeys("DeadLetter.schema.json", "topics/" + Topics.DEAD_LETTER + ".schema.json",
                EventSchemas.ANY_EVENT_FILE);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("events")
    void whatTheCodecWritesValidatesAgainstItsTypeTheUnionAndExactlyItsTopics(BackupEvent event) throws Exception {
        JsonNode json = EventCodec.mapper().readTree(EventCodec.encode(event));
        assertThat(errors(event.type() + ".schema.json", json)).isEmpty();
        assertThat(errors(EventSchemas.ANY_EVENT_FILE, json)).isEmpty();
        for (Topic topic : Topics.all()) {
            assertThat(errors("topics/" + topic.name() + ".schema.json", json).isEmpty())
                    .as(event.type() + " valid on " + topic.name()).isEqualTo(topic.carries(event));
        }
        for (String other : EventSchemas.eventTypes().keySet()) {
            if (!other.equals(event.type())) {
                assertThat(errors(other + ".schema.json", json)).as("against " + other).isNotEmpty();
            }
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("documents")
    void schemaAndCodecAgreeOnEveryDamagedVariant(Object sample) throws Exception {
        ObjectNode json = (ObjectNode) EventCodec.mapper().valueToTree(sample);
        boolean isEvent = sample instanceof BackupEvent;
        String file = (isEvent ? ((BackupEvent) sample).type() : "DeadLetter") + ".schema.json";
        assertThat(errors(file, json)).isEmpty();

        List<String> disagreements = new ArrayList<>();
        List<ObjectNode> variants = variants(json);
        int rejected = 0;
        for (ObjectNode variant : variants) {
            byte[] bytes = EventCodec.mapper().writeValueAsBytes(variant);
            boolean codec = isEvent ? accepts(bytes, ((BackupEvent) sample).getClass()) : acceptsDeadLetter(bytes);
            List<Error> schemaErrors = errors(file, variant);
            boolean blankReadAsNull = codec && !schemaErrors.isEmpty() && errors(file, blanksAsNull(variant)).isEmpty();
            if (codec != schemaErrors.isEmpty() && !blankReadAsNull) {
                disagreements.add((codec ? "codec accepts, schema rejects (" + schemaErrors + "): "
                        : "codec rejects (" + reason(bytes, sample) + "), schema accepts: ") + variant);
            }
            if (isEvent) {
                boolean codecAny = accepts(bytes, BackupEvent.class);
                if (codecAny != errors(EventSchemas.ANY_EVENT_FILE, variant).isEmpty()) {
                    disagreements.add("any-event schema vs codec (" + codecAny + "): " + variant);
                }
            }
            rejected += codec ? 0 : 1;
        }
        assertThat(disagreements).as(variants.size() + " variants of " + file).isEmpty();
        assertThat(rejected).as("variants the codec rejects").isGreaterThan(5);
        assertThat(variants.size() - rejected).as("variants the codec accepts").isGreaterThan(0);
    }

    @Test
    void rejectsTheTypicalMistakesWithTheFieldNamed() throws Exception {
        ObjectNode failed = (ObjectNode) EventCodec.mapper().readTree(EventCodec.encode(SampleEvents.all().get(6)));
        String file = "ArtifactFailed.schema.json";
        assertThat(errors(file, with(failed, j -> j.remove("reason")))).asString().contains("reason");
        assertThat(errors(file, with(failed, j -> j.put("kind", "CONFIG")))).asString().contains("kind");
        assertThat(errors(file, with(failed, j -> j.put("reasn", "typo")))).asString().contains("reasn");
        assertThat(errors(file, with(failed, j -> j.put("type", "ArtifactSkipped")))).asString().contains("type");
        assertThat(errors(file, with(failed, j -> j.put("schemaVersion", 2)))).asString().contains("schemaVersion");
        assertThat(errors(file, with(failed, j -> j.put("backupId", "a b")))).asString().contains("backupId");
        assertThat(errors(file, with(failed, j -> j.put("occurredAt", "yesterday")))).asString().contains("occurredAt");
        assertThat(errors(EventSchemas.ANY_EVENT_FILE, with(failed, j -> j.put("type", "NoSuchEvent")))).isNotEmpty();
    }

    /** The codec's one looseness, written down in EventSchemas and docs/events.md: scalar coercion. */
    @Test
    void theCodecCoercesScalarsTheSchemasDoNot() throws Exception {
        ObjectNode progress = (ObjectNode) EventCodec.mapper().readTree(EventCodec.encode(SampleEvents.all().get(8)));
        ObjectNode rejected = (ObjectNode) EventCodec.mapper().readTree(EventCodec.encode(SampleEvents.all().get(11)));
        ObjectNode request = (ObjectNode) EventCodec.mapper().readTree(EventCodec.encode(SampleEvents.all().get(0)));
        List<ObjectNode> coerced = List.of(
                with(rejected, j -> j.put("reason", 5)),
                with(progress, j -> j.put("bytesDone", "4096")),
                with(progress, j -> j.put("bytesDone", 4096.5)),
                with(progress, j -> j.put("occurredAt", 1764036000)),
                with(progress, j -> j.put("occurredAt", "2026-11-25T03:00:00+01:00")),
                with(progress, j -> j.put("occurredAt", "1764036000.5")),
                with((ObjectNode) EventCodec.mapper().valueToTree(SampleEvents.all().get(12)),
                        j -> j.put("freshnessWindow", "P1D")),
                with(request, j -> ((ObjectNode) j.get("options")).put("force", 1)));
        for (ObjectNode json : coerced) {
            byte[] bytes = EventCodec.mapper().writeValueAsBytes(json);
            assertThat(accepts(bytes, BackupEvent.class)).as("codec reads " + json).isTrue();
            assertThat(errors(json.get("type").asText() + ".schema.json", json)).as("schema of " + json).isNotEmpty();
        }
    }

    // ------------------------------------------------------------------ variants

    private static List<ObjectNode> variants(ObjectNode root) {
        List<ObjectNode> out = new ArrayList<>();
        out.add(with(root, j -> j.put("unknownField", 1)));
        collect(root, root, new ArrayList<>(), out);
        return out;
    }

    /** Damages each field of the object at {@code path} in every way that fits its JSON type. */
    private static void collect(ObjectNode root, ObjectNode object, List<String> path, List<ObjectNode> out) {
        for (Iterator<String> names = object.fieldNames(); names.hasNext(); ) {
            String name = names.next();
            JsonNode value = object.get(name);
            out.add(at(root, path, o -> o.remove(name)));
            out.add(at(root, path, o -> o.putNull(name)));
            if (value.isTextual()) {
                for (String s : textVariants()) {
                    out.add(at(root, path, o -> o.put(name, s)));
                }
            } else if (value.isIntegralNumber()) {
                for (long n : new long[] {-1, 0, 1, 2, Integer.MAX_VALUE + 1L}) {
                    out.add(at(root, path, o -> o.put(name, n)));
                }
            } else if (value.isNumber()) {
                out.add(at(root, path, o -> o.put(name, -1.5)));
            } else if (value.isBoolean()) {
                out.add(at(root, path, o -> o.put(name, !value.asBoolean())));
            } else if (value.isArray()) {
                out.add(at(root, path, o -> o.putArray(name)));
                out.add(at(root, path, o -> o.putArray(name).addNull()));
                for (String s : textVariants()) {
                    out.add(at(root, path, o -> o.putArray(name).add(s)));
                }
            } else if (value.isObject()) {
                List<String> inner = new ArrayList<>(path);
                inner.add(name);
                out.add(at(root, inner, o -> o.put("unknownField", 1)));
                out.add(at(root, path, o -> o.putObject(name)));
                collect(root, (ObjectNode) value, inner, out);
            }
        }
    }

    /**
     * Blank, not-an-ID, not-a-digest, every enum constant of the events, other type names, instants,
     * durations. Not the coercions the codec allows (see {@link #theCodecCoercesScalarsTheSchemasDoNot}).
     */
    private static List<String> textVariants() {
        List<String> texts = new ArrayList<>(List.of("", " ", "\u001c", "\u00a0", "a b", "A".repeat(129),
                "b".repeat(64), "B".repeat(64), "a1640e1c15b6", "2.x.1", "2.10.0", "yesterday", "2026-11-25T02:00:00Z",
                "2026-11-25T02:00:00.123456Z", "PT26H", "PT-1.5S", "NoSuchEvent"));
        for (Class<?> e : List.of(ArtifactKind.class, ArtifactPhase.class, BackupPhase.class, StorageKind.class,
                Trigger.class)) {
            for (Object constant : e.getEnumConstants()) {
                texts.add(((Enum<?>) constant).name());
            }
        }
        texts.addAll(EventSchemas.eventTypes().keySet());
        return texts;
    }

    /** Jackson reads a blank string as null for an optional instant (DeadLetter.occurredAt): a documented coercion. */
    private static ObjectNode blanksAsNull(ObjectNode json) {
        ObjectNode copy = json.deepCopy();
        for (Iterator<Map.Entry<String, JsonNode>> fields = copy.fields(); fields.hasNext(); ) {
            Map.Entry<String, JsonNode> field = fields.next();
            if (field.getValue().isTextual() && field.getValue().asText().isBlank()) {
                copy.putNull(field.getKey());
            }
        }
        return copy;
    }

    private static ObjectNode at(ObjectNode root, List<String> path, Consumer<ObjectNode> change) {
        return with(root, copy -> {
            ObjectNode target = copy;
            for (String p : path) {
                target = (ObjectNode) target.get(p);
            }
            change.accept(target);
        });
    }

    private static ObjectNode with(ObjectNode json, Consumer<ObjectNode> change) {
        ObjectNode copy = json.deepCopy();
        change.accept(copy);
        return copy;
    }

    // ------------------------------------------------------------------ verdicts

    private static List<Error> errors(String file, JsonNode json) {
        Schema schema = SCHEMAS.get(file);
        assertThat(schema).as(file).isNotNull();
        return schema.validate(json, ctx -> ctx.executionConfig(c -> c.formatAssertionsEnabled(true)));
    }

    private static boolean accepts(byte[] json, Class<? extends BackupEvent> type) {
        try {
            EventCodec.decode(json, type);
            return true;
        } catch (MalformedEventException e) {
            return false;
        }
    }

    /** Dead letters are read back with the project mapper (PipelineFaultIT, people's tools). */
    private static boolean acceptsDeadLetter(byte[] json) {
        try {
            EventCodec.mapper().readValue(json, DeadLetter.class);
            return true;
        } catch (java.io.IOException e) {
            return false;
        }
    }

    private static String reason(byte[] json, Object sample) {
        try {
            if (sample instanceof BackupEvent) {
                EventCodec.decode(json);
            } else {
                EventCodec.mapper().readValue(json, DeadLetter.class);
            }
            return "accepted as another type";
        } catch (Exception e) {
            return e.getMessage();
        }
    }
}
