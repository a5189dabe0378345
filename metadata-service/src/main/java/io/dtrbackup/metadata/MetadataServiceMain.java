package io.dtrbackup.metadata;

import io.dtrbackup.common.service.ServiceLauncher;

/** {@code java -jar metadata-service.jar}: configuration from {@code DTR_BACKUP_*} environment variables. */
public final class MetadataServiceMain {
    private MetadataServiceMain() {
    }

    public static void main(String[] args) {
        ServiceLauncher.main(MetadataVerticle.SERVICE_NAME, MetadataServiceConfig.parameters(), MetadataVerticle::new);
    }
}
