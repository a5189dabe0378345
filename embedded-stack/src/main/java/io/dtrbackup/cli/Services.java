package io.dtrbackup.cli;

import io.dtrbackup.contract.config.ConfigParameter;
import io.dtrbackup.contract.config.ServiceConfig;
import io.dtrbackup.crypto.CryptoServiceConfig;
import io.dtrbackup.crypto.CryptoVerticle;
import io.dtrbackup.discovery.DiscoveryServiceConfig;
import io.dtrbackup.discovery.DiscoveryVerticle;
import io.dtrbackup.image.ImageServiceConfig;
import io.dtrbackup.image.ImageServiceVerticle;
import io.dtrbackup.metadata.MetadataServiceConfig;
import io.dtrbackup.metadata.MetadataVerticle;
import io.dtrbackup.verify.VerifyServiceConfig;
import io.dtrbackup.verify.VerifyVerticle;
import io.vertx.core.VerticleBase;
import java.util.List;
import java.util.function.Function;

/**
 * The five services as the embedded stack deploys them: each with its own parameter list (its
 * {@code *ServiceConfig}) and its verticle, exactly what its {@code *ServiceMain} hands to
 * ServiceLauncher. Each gets its own ServiceConfig built from the same env-style map.
 */
final class Services {
    record Service(String name, List<ConfigParameter<?>> parameters, Function<ServiceConfig, VerticleBase> factory) {
    }

    private Services() {
    }

    static List<Service> all() {
        return List.of(
                new Service(DiscoveryVerticle.SERVICE_NAME, DiscoveryServiceConfig.parameters(), DiscoveryVerticle::new),
                new Service(MetadataVerticle.SERVICE_NAME, MetadataServiceConfig.parameters(), MetadataVerticle::new),
                new Service(ImageServiceConfig.SERVICE_NAME, ImageServiceConfig.parameters(), ImageServiceVerticle::new),
                new Service(CryptoVerticle.SERVICE_NAME, CryptoServiceConfig.parameters(), CryptoVerticle::new),
                new Service(VerifyVerticle.NAME, VerifyServiceConfig.parameters(), VerifyVerticle::new));
    }
}
