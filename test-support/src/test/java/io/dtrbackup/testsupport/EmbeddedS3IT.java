package io.dtrbackup.testsupport;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;

import io.minio.BucketExistsArgs;
import io.minio.GetObjectArgs;
import io.minio.MakeBucketArgs;
import io.minio.MinioClient;
import io.minio.PutObjectArgs;
import io.minio.errors.ErrorResponseException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

@ExtendWith(S3Extension.class)
class EmbeddedS3IT {

    @Test
    void bucketPutGet(EmbeddedS3 s3) throws Exception {
        MinioClient client = client(s3, s3.accessKey(), s3.secretKey());
        client.makeBucket(MakeBucketArgs.builder().bucket("it-bucket").build());
        byte[] data = "metadata tar".getBytes(StandardCharsets.UTF_8);
        client.putObject(PutObjectArgs.builder().bucket("it-bucket").object("a/b.tar")
                .stream(new ByteArrayInputStream(data), data.length, -1).build());
        try (InputStream in = client.getObject(GetObjectArgs.builder().bucket("it-bucket").object("a/b.tar").build())) {
            assertThat(in.readAllBytes()).isEqualTo(data);
        }
    }

    @Test
    void wrongKeysGet403(EmbeddedS3 s3) {
        MinioClient client = client(s3, s3.accessKey(), s3.secretKey() + "x");
        assertThatThrownBy(() -> client.bucketExists(BucketExistsArgs.builder().bucket("any").build()))
                .isInstanceOfSatisfying(ErrorResponseException.class,
                        e -> assertThat(e.response().code()).isEqualTo(403));
    }

    @Test
    void restartKeepsEndpointAndObjects() throws Exception {
        try (EmbeddedS3 s3 = EmbeddedS3.start()) {
            MinioClient client = client(s3, s3.accessKey(), s3.secretKey());
            client.makeBucket(MakeBucketArgs.builder().bucket("keep").build());
            String endpoint = s3.endpoint();
            s3.restart();
            assertThat(s3.endpoint()).isEqualTo(endpoint);
            assertThat(client.bucketExists(BucketExistsArgs.builder().bucket("keep").build())).isTrue();
        }
    }

    static MinioClient client(EmbeddedS3 s3, String access, String secret) {
        return MinioClient.builder().endpoint(s3.endpoint()).region(s3.region()).credentials(access, secret).build();
    }
}
