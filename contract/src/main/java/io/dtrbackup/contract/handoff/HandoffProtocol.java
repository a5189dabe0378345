package io.dtrbackup.contract.handoff;

import io.dtrbackup.contract.config.ConfigParameter;
import io.dtrbackup.contract.events.ArtifactKind;
import io.dtrbackup.contract.events.Checks;
import java.nio.file.Path;
import java.util.Locale;

/**
 * The direct image hand-off between image-service (the producer) and crypto-service (the
 * endpoint), declared once for both sides:
 *
 * <pre>
 * PUT /v1/handoff/{clusterId}/{backupId}/{kind}/{artifactName}
 * Authorization: Bearer &lt;the token in HANDOFF_TOKEN_FILE&gt;
 * Transfer-Encoding: chunked          body: the plaintext tar
 * 200 {@link Reply} once the ciphertext is stored; any other status {"error": "..."}
 * </pre>
 *
 * Both services read the token from the same setting, {@link #TOKEN_FILE}.
 */
public final class HandoffProtocol {
    /** The path every hand-off is under; a target's own part follows it. */
    public static final String PATH = "/v1/handoff/";

    /** The field of an error reply that says why. */
    public static final String ERROR_FIELD = "error";

    /** The shared bearer token: crypto-service requires it, image-service sends it. */
    public static final ConfigParameter<Path> TOKEN_FILE = ConfigParameter.secretFile("HANDOFF_TOKEN_FILE", false,
            "file holding the image hand-off's bearer token (16+ characters), the same file for crypto-service and "
                    + "image-service; required with HANDOFF_PORT or CRYPTO_HANDOFF_URL");

    private HandoffProtocol() {
    }

    /** What a hand-off is for: cluster, backup, kind and the artifact's name, all in its path. */
    public record Target(String clusterId, String backupId, ArtifactKind kind, String artifactName) {
        /** The request path, from {@link #PATH} on. */
        public String path() {
            return PATH + clusterId + "/" + backupId + "/" + kind.id() + "/" + artifactName;
        }

        /** Parses the part of a request path after {@link #PATH}; IllegalArgumentException says what is wrong. */
        public static Target parse(String afterPrefix) {
            String[] parts = afterPrefix.split("/", -1);
            if (parts.length != 4) {
                throw new IllegalArgumentException("expected " + PATH + "{clusterId}/{backupId}/{kind}/{artifactName}");
            }
            ArtifactKind kind;
            try {
                kind = ArtifactKind.valueOf(parts[2].toUpperCase(Locale.ROOT));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("unknown artifact kind: " + parts[2]);
            }
            if (!parts[3].matches("[A-Za-z0-9][A-Za-z0-9._-]{0,200}")) {
                throw new IllegalArgumentException("invalid artifact name: " + parts[3]);
            }
            return new Target(Checks.id("clusterId", parts[0]), Checks.id("backupId", parts[1]), kind, parts[3]);
        }
    }

    /** The 200 reply: what crypto-service received and stored. */
    public record Reply(long plaintextBytes, String plaintextSha256, String plaintextCrc32c, long ciphertextBytes,
            String objectKey) {
    }
}
