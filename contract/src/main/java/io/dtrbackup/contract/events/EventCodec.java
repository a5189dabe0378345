package io.dtrbackup.contract.events;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.exc.InvalidTypeIdException;
import com.fasterxml.jackson.databind.exc.UnrecognizedPropertyException;
import com.fasterxml.jackson.databind.exc.ValueInstantiationException;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.datatype.jdk8.Jdk8Module;
import com.fasterxml.jackson.datatype.jsr310.JavaTimeModule;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.stream.Collectors;

/**
 * JSON codec for {@link BackupEvent}s. Strict on input: unknown types, unknown fields, missing
 * or invalid fields and unsupported schema versions are rejected with a reason a person can act
 * on (it goes to the dead-letter topic verbatim).
 */
public final class EventCodec {
    private static final ObjectMapper MAPPER = newMapper();

    private EventCodec() {
    }

    /** The mapper the project uses for every JSON document it writes (events, manifests, results). */
    public static ObjectMapper mapper() {
        return MAPPER;
    }

    public static byte[] encode(BackupEvent event) {
        try {
            return MAPPER.writeValueAsBytes(event);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot encode " + event.type() + " " + event.eventId(), e);
        }
    }

    public static String encodeToString(BackupEvent event) {
        return new String(encode(event), StandardCharsets.UTF_8);
    }

    public static BackupEvent decode(byte[] json) throws MalformedEventException {
        return decode(json, BackupEvent.class);
    }

    /** Decodes and checks that the event is of the expected type (e.g. the one a topic carries). */
    public static <E extends BackupEvent> E decode(byte[] json, Class<E> expected) throws MalformedEventException {
        if (json == null || json.length == 0) {
            throw new MalformedEventException("empty record value (expected a JSON event)");
        }
        JsonNode tree;
        try {
            tree = MAPPER.readTree(json);
        } catch (IOException e) {
            throw new MalformedEventException("not valid JSON: " + firstLine(e.getMessage()), e);
        }
        if (tree == null || !tree.isObject()) {
            throw new MalformedEventException("expected a JSON object, got " + (tree == null ? "nothing" : tree.getNodeType()));
        }
        JsonNode type = tree.get("type");
        if (type == null || !type.isTextual()) {
            throw new MalformedEventException("missing field 'type' (the event type name, e.g. BackupRequested)");
        }
        JsonNode version = tree.get("schemaVersion");
        if (version == null || !version.canConvertToInt()) {
            throw new MalformedEventException("missing or non-integer field 'schemaVersion'");
        }
        if (version.asInt() > BackupEvent.CURRENT_SCHEMA_VERSION || version.asInt() < 1) {
            throw new MalformedEventException(type.asText() + " schemaVersion " + version.asInt()
                    + " is not supported by this build (reads 1.." + BackupEvent.CURRENT_SCHEMA_VERSION
                    + "): upgrade the consumer or have the producer write an older version");
        }
        BackupEvent event;
        try {
            event = MAPPER.treeToValue(tree, BackupEvent.class);
        } catch (InvalidTypeIdException e) {
            throw new MalformedEventException("unknown event type '" + type.asText() + "'", e);
        } catch (UnrecognizedPropertyException e) {
            throw new MalformedEventException(type.asText() + " has unknown field '" + e.getPropertyName() + "'", e);
        } catch (ValueInstantiationException e) {
            Throwable cause = e.getCause() != null ? e.getCause() : e;
            throw new MalformedEventException("invalid " + type.asText() + ": " + cause.getMessage(), e);
        } catch (JsonMappingException e) {
            throw new MalformedEventException("invalid " + type.asText() + " at " + path(e) + ": "
                    + firstLine(e.getOriginalMessage()), e);
        } catch (IOException e) {
            throw new MalformedEventException("invalid " + type.asText() + ": " + firstLine(e.getMessage()), e);
        }
        if (!expected.isInstance(event)) {
            throw new MalformedEventException("unexpected event type " + event.type() + " (this topic carries "
                    + expected.getSimpleName() + ")");
        }
        return expected.cast(event);
    }

    private static String path(JsonMappingException e) {
        String path = e.getPath().stream()
                .map(ref -> ref.getFieldName() != null ? ref.getFieldName() : "[" + ref.getIndex() + "]")
                .collect(Collectors.joining("."));
        return path.isEmpty() ? "top level" : "'" + path + "'";
    }

    private static String firstLine(String message) {
        if (message == null) {
            return "unknown error";
        }
        int newline = message.indexOf('\n');
        return newline < 0 ? message : message.substring(0, newline);
    }

    private static ObjectMapper newMapper() {
        return JsonMapper.builder()
                .addModule(new JavaTimeModule())
                .addModule(new Jdk8Module())
                .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
                .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES)
                .enable(DeserializationFeature.FAIL_ON_NUMBERS_FOR_ENUMS)
                .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
                .disable(SerializationFeature.WRITE_DATES_AS_TIMESTAMPS)
                .disable(SerializationFeature.WRITE_DURATIONS_AS_TIMESTAMPS)
                .serializationInclusion(JsonInclude.Include.NON_NULL)
                .build();
    }
}
