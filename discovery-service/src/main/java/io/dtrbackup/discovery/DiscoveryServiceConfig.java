package io.dtrbackup.discovery;

import io.dtrbackup.contract.config.CommonConfig;
import io.dtrbackup.contract.config.ConfigParameter;
import io.dtrbackup.contract.config.ConfigType;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/** discovery-service's own configuration keys (documented in docs/services/discovery-service.md). */
public final class DiscoveryServiceConfig {
    /** Required here (optional in CommonConfig): discovery cannot do anything without the registry. */
    public static final ConfigParameter<Path> CLUSTERS_FILE = ConfigParameter.required(
            "CLUSTERS_FILE", ConfigType.EXISTING_PATH, "the cluster registry (YAML), see docs/operations.md");
    public static final ConfigParameter<Duration> DOCKER_TIMEOUT = ConfigParameter.optional(
            "DOCKER_TIMEOUT", ConfigType.DURATION, "30s",
            "connect and response timeout of each Docker API call made to a cluster's endpoint");
    public static final ConfigParameter<Boolean> SCHEDULER_ENABLED = ConfigParameter.optional(
            "SCHEDULER_ENABLED", ConfigType.BOOLEAN, "true",
            "publish BackupRequested for each cluster's cron schedule (safe on several instances: slot IDs are "
                    + "deterministic and deduplicated)");
    public static final ConfigParameter<Duration> SCHEDULE_CATCH_UP = ConfigParameter.optional(
            "SCHEDULE_CATCH_UP", ConfigType.DURATION, "10m",
            "at start-up, fire the latest slot missed within this window (0 = never catch up)");
    public static final ConfigParameter<Duration> SCHEDULER_MAX_SLEEP = ConfigParameter.optional(
            "SCHEDULER_MAX_SLEEP", ConfigType.DURATION, "30s",
            "longest wait between two looks at the clock, so clock jumps are noticed");
    public static final ConfigParameter<Duration> FRESHNESS_CHECK_INTERVAL = ConfigParameter.optional(
            "FRESHNESS_CHECK_INTERVAL", ConfigType.DURATION, "5m",
            "how often BackupOverdue is published for clusters whose last verified backup is too old (or missing)");
    public static final ConfigParameter<Duration> IN_FLIGHT_MAX_AGE = ConfigParameter.optional(
            "IN_FLIGHT_MAX_AGE", ConfigType.DURATION, "24h",
            "a backup with no terminal event after this long no longer blocks new backups of its cluster");

    private DiscoveryServiceConfig() {
    }

    public static List<ConfigParameter<?>> own() {
        return List.of(CLUSTERS_FILE, DOCKER_TIMEOUT, SCHEDULER_ENABLED, SCHEDULE_CATCH_UP, SCHEDULER_MAX_SLEEP,
                FRESHNESS_CHECK_INTERVAL, IN_FLIGHT_MAX_AGE);
    }

    /** Kafka settings (no S3: discovery stores nothing) plus its own keys. */
    public static List<ConfigParameter<?>> parameters() {
        List<ConfigParameter<?>> all = new ArrayList<>(CommonConfig.kafka());
        all.addAll(own());
        return List.copyOf(all);
    }
}
