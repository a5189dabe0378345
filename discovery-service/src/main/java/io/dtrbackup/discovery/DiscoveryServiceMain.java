package io.dtrbackup.discovery;

import io.dtrbackup.common.service.ServiceLauncher;

/** {@code java -jar discovery-service.jar}: configuration from {@code DTR_BACKUP_*} environment variables. */
public final class DiscoveryServiceMain {
    private DiscoveryServiceMain() {
    }

    public static void main(String[] args) {
        ServiceLauncher.main(DiscoveryVerticle.SERVICE_NAME, DiscoveryServiceConfig.parameters(), DiscoveryVerticle::new);
    }
}
