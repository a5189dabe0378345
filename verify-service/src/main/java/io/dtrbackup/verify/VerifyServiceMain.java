package io.dtrbackup.verify;

import io.dtrbackup.common.service.ServiceLauncher;

/** {@code java -jar verify-service.jar}: configuration from {@code DTR_BACKUP_*} environment variables. */
public final class VerifyServiceMain {
    private VerifyServiceMain() {
    }

    public static void main(String[] args) {
        ServiceLauncher.main(VerifyVerticle.NAME, VerifyServiceConfig.parameters(), VerifyVerticle::new);
    }
}
