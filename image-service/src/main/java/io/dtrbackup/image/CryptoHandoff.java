package io.dtrbackup.image;

import io.dtrbackup.contract.events.ArtifactKind;
import io.dtrbackup.contract.events.EventCodec;
import io.dtrbackup.contract.handoff.HandoffProtocol;
import java.io.IOException;
import java.io.InputStream;
import java.time.Duration;
import okhttp3.MediaType;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.RequestBody;
import okhttp3.Response;
import okio.BufferedSink;

/**
 * Client of crypto-service's direct hand-off endpoint (crypto-service's HandoffServer): streams the
 * images tar to crypto-service, which encrypts it into the backup bucket as it arrives, instead of
 * writing it to the staging bucket first. Any failure is a {@link HandoffException}: the caller then
 * stages the artifact as usual, so the hand-off only ever makes a backup faster, never fails one.
 */
public final class CryptoHandoff {
    private static final MediaType TAR = MediaType.get("application/x-tar");
    private static final int SLICE = 64 * 1024;

    /** The hand-off did not happen or did not finish; nothing of it was kept. */
    public static final class HandoffException extends IOException {
        HandoffException(String message, Throwable cause) {
            super(message, cause);
        }
    }

    private final String baseUrl;
    private final String authorization;
    private final OkHttpClient http;

    /** @param baseUrl e.g. {@code http://crypto-service:8470}; the token is sent as a bearer token, never logged */
    public CryptoHandoff(String baseUrl, char[] token, Duration readTimeout) {
        this.baseUrl = baseUrl.endsWith("/") ? baseUrl.substring(0, baseUrl.length() - 1) : baseUrl;
        this.authorization = "Bearer " + new String(token);
        // The response comes only after the whole upload is stored: allow for a slow object store.
        this.http = new OkHttpClient.Builder().connectTimeout(Duration.ofSeconds(10)).readTimeout(readTimeout)
                .writeTimeout(readTimeout).retryOnConnectionFailure(false).build();
    }

    public String endpoint() {
        return baseUrl;
    }

    /** Streams {@code tar} to crypto-service and returns its receipt once the ciphertext is stored. */
    public HandoffProtocol.Reply send(String clusterId, String backupId, ArtifactKind kind, String artifactName, InputStream tar)
            throws HandoffException {
        Request request = new Request.Builder()
                .url(baseUrl + new HandoffProtocol.Target(clusterId, backupId, kind, artifactName).path())
                .header("Authorization", authorization)
                .put(new StreamBody(tar))
                .build();
        try (Response response = http.newCall(request).execute()) {
            String body = response.body() == null ? "" : response.body().string();
            if (response.code() != 200) {
                throw new HandoffException("crypto-service at " + baseUrl + " refused the hand-off: HTTP "
                        + response.code() + " " + errorOf(body), null);
            }
            return EventCodec.mapper().readValue(body, HandoffProtocol.Reply.class);
        } catch (HandoffException e) {
            throw e;
        } catch (IOException | RuntimeException e) {
            throw new HandoffException("the hand-off to crypto-service at " + baseUrl + " broke: " + e.getMessage(), e);
        }
    }

    private static String errorOf(String body) {
        try {
            return EventCodec.mapper().readTree(body).path(HandoffProtocol.ERROR_FIELD).asText(body);
        } catch (IOException e) {
            return body.length() > 200 ? body.substring(0, 200) : body;
        }
    }

    /** A body of unknown length (chunked), copied from the tar stream in slices as the socket takes them. */
    private static final class StreamBody extends RequestBody {
        private final InputStream tar;

        StreamBody(InputStream tar) {
            this.tar = tar;
        }

        @Override
        public MediaType contentType() {
            return TAR;
        }

        @Override
        public long contentLength() {
            return -1;
        }

        @Override
        public boolean isOneShot() {
            return true;
        }

        @Override
        public void writeTo(BufferedSink sink) throws IOException {
            byte[] buffer = new byte[SLICE];
            for (int n; (n = tar.read(buffer)) >= 0; ) {
                sink.write(buffer, 0, n);
            }
        }
    }
}
