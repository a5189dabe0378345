package io.dtrbackup.crypto;

import io.dtrbackup.common.service.ServiceLauncher;

/** {@code java -jar crypto-service.jar}: configuration from {@code DTR_BACKUP_*} environment variables. */
public final class CryptoServiceMain {
    private CryptoServiceMain() {
    }

    public static void main(String[] args) {
        ServiceLauncher.main(CryptoVerticle.SERVICE_NAME, CryptoServiceConfig.parameters(), CryptoVerticle::new);
    }
}
