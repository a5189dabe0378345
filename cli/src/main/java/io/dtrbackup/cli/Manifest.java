package io.dtrbackup.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;

/**
 * A read-only, lenient view of a backup's {@code manifest.json} (written by verify-service; format
 * in docs/services/verify-service.md). Unknown fields are ignored and a few alternative names are
 * accepted, so an older or newer manifest still lists, shows and fetches.
 */
final class Manifest {
    private static final ObjectMapper JSON = new ObjectMapper();

    private final String key;
    private final JsonNode root;

    Manifest(String key, JsonNode root) {
        this.key = key;
        this.root = root;
    }

    static Manifest parse(String key, InputStream in) throws IOException {
        JsonNode node = JSON.readTree(in);
        if (node == null || !node.isObject()) {
            throw new IOException("manifest " + key + " is not a JSON object");
        }
        return new Manifest(key, node);
    }

    /** One artifact of the backup. */
    record Artifact(String kind, String artifactName, String objectKey, String keyId, String plaintextSha256,
            long plaintextSize, long ciphertextSize, String status, JsonNode raw) {
        boolean isStored() {
            return objectKey != null;
        }
    }

    String key() {
        return key;
    }

    JsonNode json() {
        return root;
    }

    String backupId() {
        return text(root, "backupId");
    }

    String clusterId() {
        return text(root, "clusterId");
    }

    String replicaId() {
        return first(root, "replicaId", "replica.replicaId", "replica.id");
    }

    String dtrVersion() {
        return first(root, "dtrVersion", "replica.dtrVersion");
    }

    /** A manifest is written only for a verified backup, so no status field means COMPLETED. */
    String status() {
        String s = first(root, "status", "phase", "outcome");
        return s == null ? "COMPLETED" : s;
    }

    String completedAt() {
        return first(root, "completedAt", "createdAt", "finishedAt", "occurredAt");
    }

    String trigger() {
        return first(root, "trigger", "request.trigger");
    }

    int formatVersion() {
        JsonNode v = root.get("formatVersion");
        return v == null ? 0 : v.asInt();
    }

    List<String> notes() {
        List<String> notes = new ArrayList<>();
        for (String field : new String[] {"notIncluded", "notes", "notBackedUp", "restoreNotes"}) {
            JsonNode n = root.get(field);
            if (n != null && n.isArray()) {
                n.forEach(x -> notes.add(x.isTextual() ? x.asText() : x.toString()));
            } else if (n != null && n.isTextual()) {
                notes.add(n.asText());
            } else if (n != null && n.isObject()) {
                n.fields().forEachRemaining(e -> notes.add(e.getKey() + ": " + (e.getValue().isTextual()
                        ? e.getValue().asText() : e.getValue().toString())));
            }
        }
        return notes;
    }

    List<Artifact> artifacts() {
        List<Artifact> list = new ArrayList<>();
        JsonNode artifacts = root.get("artifacts");
        if (artifacts == null) {
            return list;
        }
        Iterator<Map.Entry<String, JsonNode>> named = artifacts.isObject() ? artifacts.fields() : null;
        if (named != null) {
            // {"metadata": {...}, "images": {...}}
            named.forEachRemaining(e -> list.add(artifact(e.getValue(), e.getKey())));
        } else {
            artifacts.forEach(a -> list.add(artifact(a, null)));
        }
        JsonNode skipped = root.get("skipped");
        if (skipped != null && skipped.isArray()) {
            // verify-service lists deliberately skipped artifacts apart: no object, a reason.
            skipped.forEach(a -> list.add(new Artifact(String.valueOf(first(a, "kind")).toUpperCase(java.util.Locale.ROOT),
                    null, null, null, null, -1, -1, "SKIPPED: " + first(a, "reason"), a)));
        }
        return list;
    }

    long totalCiphertextBytes() {
        return artifacts().stream().mapToLong(a -> Math.max(0, a.ciphertextSize())).sum();
    }

    private static Artifact artifact(JsonNode a, String kindFromKey) {
        String kind = first(a, "kind");
        return new Artifact((kind == null ? kindFromKey : kind).toUpperCase(java.util.Locale.ROOT),
                first(a, "artifactName", "fileName", "name", "plaintextName"),
                first(a, "objectKey", "key", "ciphertextKey", "encrypted.objectKey"),
                first(a, "keyId", "encryption.keyId", "encrypted.keyId"),
                first(a, "plaintextSha256", "sha256", "plaintext.sha256", "verified.plaintextSha256"),
                number(a, "plaintextSize", "plaintext.size", "size", "sizeBytes"),
                number(a, "ciphertextSize", "ciphertext.size", "encrypted.ciphertextSize"),
                first(a, "status", "phase", "outcome"), a);
    }

    private static String text(JsonNode node, String field) {
        JsonNode v = node.get(field);
        return v == null || v.isNull() ? null : v.isValueNode() ? v.asText() : v.toString();
    }

    /** The first present of dotted paths. */
    private static String first(JsonNode node, String... paths) {
        for (String path : paths) {
            JsonNode v = at(node, path);
            if (v != null && !v.isNull() && v.isValueNode()) {
                return v.asText();
            }
        }
        return null;
    }

    private static long number(JsonNode node, String... paths) {
        for (String path : paths) {
            JsonNode v = at(node, path);
            if (v != null && v.isNumber()) {
                return v.asLong();
            }
        }
        return -1;
    }

    private static JsonNode at(JsonNode node, String path) {
        JsonNode cur = node;
        for (String part : path.split("\\.")) {
            if (cur == null) {
                return null;
            }
            cur = cur.get(part);
        }
        return cur;
    }
}
