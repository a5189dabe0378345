package io.dtrbackup.common.metrics;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.jvm.JvmGcMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.core.instrument.binder.system.UptimeMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;

/**
 * One service instance's meter registry: Prometheus format, every meter tagged
 * {@code service=<name>}, plus the usual JVM meters (memory, GC, threads, CPU, uptime).
 * One per verticle, so services deployed together (the embedded stack) keep separate registries.
 */
public final class ServiceMetrics implements AutoCloseable {
    /** What {@code /metrics} answers with (Prometheus text exposition format 0.0.4). */
    public static final String CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";

    private final PrometheusMeterRegistry registry;
    private final JvmGcMetrics gc;
    private final PipelineMeters pipeline;

    public ServiceMetrics(String service) {
        registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        registry.config().commonTags("service", service);
        new JvmMemoryMetrics().bindTo(registry);
        new JvmThreadMetrics().bindTo(registry);
        new ProcessorMetrics().bindTo(registry);
        new UptimeMetrics().bindTo(registry);
        gc = new JvmGcMetrics();
        gc.bindTo(registry);
        pipeline = new PipelineMeters(registry);
    }

    public MeterRegistry registry() {
        return registry;
    }

    /** The pipeline's own meters (stage outcomes, backups, last success per cluster). */
    public PipelineMeters pipeline() {
        return pipeline;
    }

    /** All meters in the Prometheus text format. */
    public String scrape() {
        return registry.scrape();
    }

    @Override
    public void close() {
        gc.close();
        registry.close();
    }
}
