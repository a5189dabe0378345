package io.dtrbackup.metadata;

import io.dtrbackup.contract.config.CommonConfig;
import io.dtrbackup.contract.config.ConfigParameter;
import io.dtrbackup.contract.config.ConfigType;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/** metadata-service's own configuration keys (env {@code DTR_BACKUP_<KEY>}); see docs/services/metadata-service.md. */
public final class MetadataServiceConfig {
    public static final ConfigParameter<String> DTR_IMAGE_REPOSITORY = ConfigParameter.optional(
            "DTR_IMAGE_REPOSITORY", ConfigType.STRING, "docker/dtr",
            "repository of the DTR bootstrapper image; the tag is the replica's DTR version (mirror.example.com/docker/dtr)");
    /** The value of {@link #DTR_NETWORK_MODE} meaning the engine's default network, as {@code docker run} without --network. */
    public static final String ENGINE_DEFAULT_NETWORK = "default";
    public static final ConfigParameter<String> DTR_NETWORK_MODE = ConfigParameter.optional(
            "DTR_NETWORK_MODE", ConfigType.STRING, ENGINE_DEFAULT_NETWORK,
            "network mode of the docker/dtr backup container, as docker run --network: default (the engine's default "
                    + "network, like the backup typed by hand; it reaches UCP), host, bridge or a network name; none "
                    + "only where nothing must be reached (the test bed)");
    public static final ConfigParameter<Duration> DTR_TIMEOUT = ConfigParameter.optional(
            "DTR_TIMEOUT", ConfigType.DURATION, "6h",
            "longest a docker/dtr backup may run before it is killed and the artifact fails");
    public static final ConfigParameter<Duration> CA_FETCH_TIMEOUT = ConfigParameter.optional(
            "CA_FETCH_TIMEOUT", ConfigType.DURATION, "10s",
            "timeout of fetching <ucp url>/ca for clusters with fetchCa: true");
    public static final ConfigParameter<Integer> CAPTURE_BUFFER_MB = ConfigParameter.optional(
            "CAPTURE_BUFFER_MB", ConfigType.INT, "8",
            "size of each of the two in-memory pipes between the container's stdout, the upload and the tar check");
    public static final ConfigParameter<Integer> STDERR_TAIL_KB = ConfigParameter.optional(
            "STDERR_TAIL_KB", ConfigType.INT, "64",
            "how much of docker/dtr's stderr (the end) is kept for the failure report and the log");

    private MetadataServiceConfig() {
    }

    public static List<ConfigParameter<?>> parameters() {
        List<ConfigParameter<?>> all = new ArrayList<>(CommonConfig.all());
        all.addAll(List.of(DTR_IMAGE_REPOSITORY, DTR_NETWORK_MODE, DTR_TIMEOUT, CA_FETCH_TIMEOUT, CAPTURE_BUFFER_MB,
                STDERR_TAIL_KB));
        return List.copyOf(all);
    }
}
