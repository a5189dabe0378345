package io.dtrbackup.common.store;

import static org.assertj.core.api.Assertions.assertThat;

import io.minio.MinioAsyncClient;
import io.minio.credentials.Credentials;
import io.minio.http.Method;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.Random;
import okhttp3.Headers;
import okhttp3.HttpUrl;
import okhttp3.Request;
import okio.Buffer;
import okio.ForwardingSink;
import okio.Okio;
import org.junit.jupiter.api.Test;

class UnsignedPartsClientTest {
    private static final Credentials CREDENTIALS = new Credentials("access", "secret", null, null);
    private final UnsignedPartsClient client = new UnsignedPartsClient(
            MinioAsyncClient.builder().endpoint("http://127.0.0.1:9").region("us-east-1").credentials("access", "secret")
                    .build());
    private final byte[] part = new byte[300_000];

    UnsignedPartsClientTest() {
        new Random(3).nextBytes(part);
    }

    @Test
    void aPartGoesUnsignedWithoutContentMd5AndCarriesExactlyItsBytes() throws Exception {
        int length = part.length - 17; // the buffer's tail is not part of the part
        Request request = client.createRequest(HttpUrl.get("http://127.0.0.1:9/b/k?partNumber=3&uploadId=u-1"),
                Method.PUT, Headers.of("Content-Type", "application/x-tar"), part, length, CREDENTIALS);

        assertThat(request.header("x-amz-content-sha256")).isEqualTo("UNSIGNED-PAYLOAD");
        assertThat(request.header("Content-MD5")).isNull();
        assertThat(request.header("x-amz-date")).isNotBlank();
        assertThat(request.body().contentLength()).isEqualTo(length);
        assertThat(request.body().contentType().toString()).isEqualTo("application/x-tar");
        Buffer sent = new Buffer();
        request.body().writeTo(sent);
        assertThat(sent.readByteArray()).isEqualTo(java.util.Arrays.copyOf(part, length));
    }

    @Test
    void otherRequestsKeepTheSdksPayloadHash() throws Exception {
        Request put = client.createRequest(HttpUrl.get("http://127.0.0.1:9/b/manifest.json"), Method.PUT,
                Headers.of("Content-Type", "application/json"), part, part.length, CREDENTIALS);
        assertThat(put.header("x-amz-content-sha256"))
                .isEqualTo(HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(part)));
        assertThat(put.header("Content-MD5")).isNotNull();
    }

    @Test
    void thePartIsWrittenInSlicesSoNoWholeCopyIsBuffered() throws Exception {
        Request request = client.createRequest(HttpUrl.get("http://127.0.0.1:9/b/k?partNumber=1&uploadId=u-1"),
                Method.PUT, null, part, part.length, CREDENTIALS);
        Buffer sink = new Buffer();
        long[] largestPending = {0};
        // Each slice is pushed on as it is written: the sink sees writes of at most one slice (plus okio's
        // segment rounding), never the part at once.
        var counting = Okio.buffer(new ForwardingSink(sink) {
            @Override
            public void write(Buffer source, long byteCount) throws java.io.IOException {
                largestPending[0] = Math.max(largestPending[0], byteCount);
                super.write(source, byteCount);
            }
        });
        request.body().writeTo(counting);
        counting.flush();
        assertThat(sink.size()).isEqualTo(part.length);
        assertThat(largestPending[0]).isLessThanOrEqualTo(UnsignedPartsClient.SLICE + 8192L);
    }
}
