/**
 * Health and Prometheus metrics of every service: the registry ({@link io.dtrbackup.common.metrics.ServiceMetrics}),
 * the pipeline's meter names and helpers ({@link io.dtrbackup.common.metrics.PipelineMeters}), the HTTP endpoints
 * ({@link io.dtrbackup.common.metrics.HealthServer}) and consumer lag
 * ({@link io.dtrbackup.common.metrics.ConsumerLag}). Wired into
 * {@link io.dtrbackup.common.service.PipelineVerticle}; documented in docs/operations.md.
 */
package io.dtrbackup.common.metrics;
