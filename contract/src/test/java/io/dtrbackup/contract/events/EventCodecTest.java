package io.dtrbackup.contract.events;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.annotation.JsonSubTypes;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

class EventCodecTest {

    static java.util.List<BackupEvent> events() {
        return SampleEvents.all();
    }

    @Test
    void samplesCoverEveryRegisteredType() {
        Set<String> registered = Arrays.stream(BackupEvent.class.getAnnotation(JsonSubTypes.class).value())
                .map(JsonSubTypes.Type::name).collect(Collectors.toSet());
        Set<String> sampled = SampleEvents.all().stream().map(BackupEvent::type).collect(Collectors.toSet());
        assertThat(sampled).isEqualTo(registered);
        assertThat(BackupEvent.class.getPermittedSubclasses()).hasSize(registered.size());
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("events")
    void roundTrips(BackupEvent event) throws Exception {
        byte[] json = EventCodec.encode(event);
        var tree = EventCodec.mapper().readTree(json);
        assertThat(tree.get("type").asText()).isEqualTo(event.type());
        for (String field : new String[] {"schemaVersion", "eventId", "clusterId", "occurredAt"}) {
            assertThat(tree.has(field)).as(field).isTrue();
        }
        assertThat(EventCodec.decode(json)).isEqualTo(event);
    }

    @Test
    void readsAHandWrittenRequestWithOptionalFieldsLeftOut() throws Exception {
        String json = """
                {"type":"BackupRequested","schemaVersion":1,"eventId":"x","backupId":"bk-1","clusterId":"c1",
                 "occurredAt":"2026-11-25T02:00:00Z","trigger":"MANUAL","options":{"offline":true}}""";
        BackupRequested request = EventCodec.decode(bytes(json), BackupRequested.class);
        assertThat(request.options().offline()).isTrue();
        assertThat(request.options().force()).isFalse();
        assertThat(request.options().replicaId()).isNull();
    }

    @Test
    void rejectsMalformedInputWithAReason() {
        assertReason("{not json", "not valid JSON");
        assertReason("[1,2]", "expected a JSON object");
        assertReason("{\"schemaVersion\":1}", "missing field 'type'");
        assertReason("{\"type\":\"BackupRequested\"}", "schemaVersion");
        assertReason("{\"type\":\"Nope\",\"schemaVersion\":1}", "unknown event type 'Nope'");
        assertReason("{\"type\":\"BackupRequested\",\"schemaVersion\":9}", "schemaVersion 9 is not supported");
        assertReason(request("\"trigger\":\"MANUAL\",\"surprise\":1"), "unknown field 'surprise'");
        assertReason(request("\"trigger\":\"SOMETIMES\""), "trigger");
        assertReason(request("\"trigger\":null"), "trigger is required");
        assertReason(request("\"trigger\":\"MANUAL\",\"options\":{\"replicaId\":\"NOT-HEX\"}"), "replicaId");
        assertReason("""
                {"type":"BackupRequested","schemaVersion":1,"eventId":"x","backupId":"../etc","clusterId":"c1",
                 "occurredAt":"2026-11-25T02:00:00Z","trigger":"MANUAL"}""", "backupId must be");
        assertThatThrownBy(() -> EventCodec.decode(new byte[0])).isInstanceOf(MalformedEventException.class)
                .hasMessageContaining("empty");
    }

    @Test
    void rejectsAnEventOfTheWrongTypeForTheTopic() {
        byte[] json = EventCodec.encode(SampleEvents.all().get(0));
        assertThatThrownBy(() -> EventCodec.decode(json, ReplicaDiscovered.class))
                .isInstanceOf(MalformedEventException.class)
                .hasMessageContaining("unexpected event type BackupRequested");
    }

    @Test
    void rejectsAMissingRequiredNumber() {
        String json = new String(EventCodec.encode(SampleEvents.all().get(2)), StandardCharsets.UTF_8)
                .replaceFirst("\"sizeBytes\":1024,", "");
        assertThatThrownBy(() -> EventCodec.decode(bytes(json))).isInstanceOf(MalformedEventException.class)
                .hasMessageContaining("sizeBytes");
    }

    private static String request(String payload) {
        return "{\"type\":\"BackupRequested\",\"schemaVersion\":1,\"eventId\":\"x\",\"backupId\":\"bk-1\","
                + "\"clusterId\":\"c1\",\"occurredAt\":\"2026-11-25T02:00:00Z\"," + payload + "}";
    }

    private static void assertReason(String json, String reason) {
        assertThatThrownBy(() -> EventCodec.decode(bytes(json))).as(json).isInstanceOf(MalformedEventException.class)
                .hasMessageContaining(reason);
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }
}
