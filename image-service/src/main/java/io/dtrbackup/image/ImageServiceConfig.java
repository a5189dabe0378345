package io.dtrbackup.image;

import io.dtrbackup.contract.config.CommonConfig;
import io.dtrbackup.contract.config.ConfigParameter;
import io.dtrbackup.contract.config.ConfigType;
import io.dtrbackup.contract.handoff.HandoffProtocol;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/** image-service's own settings (prefix {@code DTR_BACKUP_}), plus Kafka, S3 and the clusters file. */
public final class ImageServiceConfig {
    public static final String SERVICE_NAME = "image-service";

    public static final ConfigParameter<Integer> IMAGE_PIPE_BUFFER_MB = ConfigParameter.optional(
            "IMAGE_PIPE_BUFFER_MB", ConfigType.INT, "8",
            "MiB buffered between the tar writer and the staging upload, per archive (1 MiB chunks)");
    public static final ConfigParameter<Duration> DOCKER_CONNECT_TIMEOUT = ConfigParameter.optional(
            "DOCKER_CONNECT_TIMEOUT", ConfigType.DURATION, "10s", "connect timeout to a tcp Docker endpoint");
    public static final ConfigParameter<Duration> DOCKER_READ_TIMEOUT = ConfigParameter.optional(
            "DOCKER_READ_TIMEOUT", ConfigType.DURATION, "10m",
            "longest silence from a tcp Docker endpoint while reading an archive before the artifact fails");
    public static final ConfigParameter<String> CRYPTO_HANDOFF_URL = ConfigParameter.optional(
            "CRYPTO_HANDOFF_URL", ConfigType.STRING, null,
            "crypto-service's hand-off endpoint (e.g. http://crypto-service:8470): stream the images tar there "
                    + "instead of staging it; unset = always stage. A failed hand-off falls back to staging");
    public static final ConfigParameter<java.nio.file.Path> HANDOFF_TOKEN_FILE = HandoffProtocol.TOKEN_FILE;

    private ImageServiceConfig() {
    }

    public static List<ConfigParameter<?>> parameters() {
        List<ConfigParameter<?>> all = new ArrayList<>(CommonConfig.all());
        all.add(IMAGE_PIPE_BUFFER_MB);
        all.add(DOCKER_CONNECT_TIMEOUT);
        all.add(DOCKER_READ_TIMEOUT);
        all.add(CRYPTO_HANDOFF_URL);
        all.add(HANDOFF_TOKEN_FILE);
        return List.copyOf(all);
    }
}
