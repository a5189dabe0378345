package io.dtrbackup.common.service;

import io.dtrbackup.contract.config.ConfigException;
import io.dtrbackup.contract.config.ConfigParameter;
import io.dtrbackup.contract.config.ServiceConfig;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.VerticleBase;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code main} of every service: log the version, build the typed config from the environment,
 * log it (no secrets: those are file paths), deploy the service verticle, exit non-zero when
 * start-up fails, close cleanly on SIGTERM.
 */
public final class ServiceLauncher {
    private static final Logger LOG = LoggerFactory.getLogger(ServiceLauncher.class);

    public static final int EXIT_CONFIG = 2;
    public static final int EXIT_START_FAILED = 1;

    private ServiceLauncher() {
    }

    public static void main(String serviceName, List<ConfigParameter<?>> parameters,
            Function<ServiceConfig, VerticleBase> factory) {
        String version = ServiceLauncher.class.getPackage().getImplementationVersion();
        LOG.info("starting {} {}", serviceName, version == null ? "(development build)" : version);
        ServiceConfig config;
        try {
            config = ServiceConfig.fromEnvironment(parameters);
        } catch (ConfigException e) {
            LOG.error("{} cannot start: {}", serviceName, e.getMessage());
            System.exit(EXIT_CONFIG);
            return;
        }
        LOG.info("{} effective configuration:\n{}", serviceName, config.describe());
        Vertx vertx = Vertx.vertx();
        CountDownLatch started = new CountDownLatch(1);
        deploy(vertx, serviceName, config, factory).onComplete(ar -> {
            if (ar.failed()) {
                LOG.error("{} failed to start: {}", serviceName, ar.cause().getMessage(), ar.cause());
                vertx.close().onComplete(v -> System.exit(EXIT_START_FAILED));
            } else {
                LOG.info("{} started", serviceName);
            }
            started.countDown();
        });
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            LOG.info("{} shutting down", serviceName);
            CountDownLatch closed = new CountDownLatch(1);
            vertx.close().onComplete(v -> closed.countDown());
            try {
                if (!closed.await(30, TimeUnit.SECONDS)) {
                    LOG.warn("{} did not close within 30 s", serviceName);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }, serviceName + "-shutdown"));
    }

    /** Deploys a service into an existing Vert.x instance (tests and the embedded stack). */
    public static Future<String> deploy(Vertx vertx, String serviceName, ServiceConfig config,
            Function<ServiceConfig, VerticleBase> factory) {
        try {
            return vertx.deployVerticle(factory.apply(config));
        } catch (RuntimeException e) {
            return Future.failedFuture(e);
        }
    }

    /** Builds a service config from a map of {@code DTR_BACKUP_*} entries, as tests do. */
    public static ServiceConfig config(Map<String, String> env, List<ConfigParameter<?>> parameters) {
        return ServiceConfig.fromMap(env, parameters);
    }
}
