package io.dtrbackup.cli.bench;

import io.dtrbackup.contract.events.BackupCompleted;
import io.dtrbackup.contract.events.BackupEvent;
import io.dtrbackup.contract.events.BackupFailed;
import io.dtrbackup.contract.events.BackupRejected;
import io.dtrbackup.contract.events.EventCodec;
import io.dtrbackup.contract.events.MalformedEventException;
import io.dtrbackup.contract.topics.Topics;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Watches one benchmark run from outside the services: every STATUS event (its own consumer group,
 * from the start), consumer lag per service group (an Admin client, every 2 s: end offset minus the
 * group's committed offset, summed over the input topic's partitions) and each service process's
 * heap in use (its /metrics, every second, the maximum kept).
 */
final class RunMonitor implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(RunMonitor.class);

    /** Each service's consumer group and the topic it consumes (the job inputs, and verify's STATUS fold). */
    static final Map<String, String> GROUPS = groups();

    /** Short names for the lag table. */
    static final Map<String, String> SHORT = Map.of("discovery-service", "disc", "metadata-service", "meta",
            "image-service", "img", "crypto-service", "crypto", "verify-service", "verify",
            "verify-service-completion", "compl");

    /** One service process to sample: label is e.g. "crypto-service#2". */
    record Proc(String label, String service, long pid, int port) {
    }

    record LagSample(double seconds, Map<String, Long> lagByGroup, int ended) {
    }

    private final String bootstrap;
    private final List<Proc> procs;
    private final long startNanos = System.nanoTime();
    private final Map<String, List<BackupEvent>> byBackup = new ConcurrentHashMap<>();
    private final Set<String> ended = ConcurrentHashMap.newKeySet();
    /** The backups this run measures (warm-up backups earlier on STATUS are not counted); null until known. */
    private volatile Set<String> expected;
    private final List<LagSample> lag = new CopyOnWriteArrayList<>();
    private final Map<String, Long> peakHeap = new ConcurrentHashMap<>();
    private final Map<String, String> lastMetrics = new ConcurrentHashMap<>();
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
    private final ScheduledExecutorService timers = Executors.newScheduledThreadPool(2, r -> {
        Thread t = new Thread(r, "bench-monitor");
        t.setDaemon(true);
        return t;
    });
    private final Admin admin;
    private final Thread reader;
    private volatile boolean closed;
    private volatile double lastEndSeconds;

    private static Map<String, String> groups() {
        Map<String, String> g = new LinkedHashMap<>();
        g.put("discovery-service", Topics.REQUESTS.name());
        g.put("metadata-service", Topics.REPLICAS.name());
        g.put("image-service", Topics.REPLICAS.name());
        g.put("crypto-service", Topics.STAGED.name());
        g.put("verify-service", Topics.ENCRYPTED.name());
        g.put("verify-service-completion", Topics.STATUS.name());
        return Collections.unmodifiableMap(g);
    }

    RunMonitor(String bootstrap, List<Proc> procs) {
        this.bootstrap = bootstrap;
        this.procs = List.copyOf(procs);
        Properties p = new Properties();
        p.put("bootstrap.servers", bootstrap);
        admin = Admin.create(p);
        reader = new Thread(this::readStatus, "bench-status-reader");
        reader.setDaemon(true);
    }

    RunMonitor start() {
        reader.start();
        timers.scheduleAtFixedRate(this::sampleLag, 0, 2, TimeUnit.SECONDS);
        timers.scheduleAtFixedRate(this::sampleHeap, 0, 1, TimeUnit.SECONDS);
        return this;
    }

    private void readStatus() {
        Properties p = new Properties();
        p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        p.put(ConsumerConfig.GROUP_ID_CONFIG, "bench-status-" + UUID.randomUUID());
        p.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        try (KafkaConsumer<String, byte[]> c = new KafkaConsumer<>(p, new StringDeserializer(), new ByteArrayDeserializer())) {
            c.subscribe(List.of(Topics.STATUS.name()));
            while (!closed) {
                for (ConsumerRecord<String, byte[]> r : c.poll(Duration.ofMillis(200))) {
                    BackupEvent e;
                    try {
                        e = EventCodec.decode(r.value());
                    } catch (MalformedEventException ex) {
                        LOG.warn("undecodable status record at offset {}: {}", r.offset(), ex.getMessage());
                        continue;
                    }
                    if (e.backupId() == null) {
                        continue; // cluster-level events (BackupOverdue at start-up: no backup on record yet)
                    }
                    byBackup.computeIfAbsent(e.backupId(), k -> new CopyOnWriteArrayList<>()).add(e);
                    Set<String> measured = expected;
                    if (isTerminal(e) && ended.add(e.backupId()) && (measured == null || measured.contains(e.backupId()))) {
                        lastEndSeconds = elapsed();
                    }
                }
            }
        } catch (RuntimeException e) {
            if (!closed) {
                LOG.error("status reader stopped: {}", e.toString(), e);
            }
        }
    }

    static boolean isTerminal(BackupEvent e) {
        return e instanceof BackupCompleted || e instanceof BackupFailed || e instanceof BackupRejected;
    }

    private double elapsed() {
        return (System.nanoTime() - startNanos) / 1e9;
    }

    private void sampleLag() {
        try {
            Map<String, Long> byGroup = new LinkedHashMap<>();
            Map<String, List<TopicPartition>> partitions = new HashMap<>();
            for (String topic : Set.copyOf(GROUPS.values())) {
                partitions.put(topic, admin.describeTopics(List.of(topic)).allTopicNames().get(5, TimeUnit.SECONDS)
                        .get(topic).partitions().stream().map(i -> new TopicPartition(topic, i.partition())).toList());
            }
            // Committed offsets first, then end offsets: a record appended and committed in between cannot go negative.
            Map<String, Map<TopicPartition, OffsetAndMetadata>> committed = new LinkedHashMap<>();
            for (String group : GROUPS.keySet()) {
                committed.put(group, admin.listConsumerGroupOffsets(group).partitionsToOffsetAndMetadata()
                        .get(5, TimeUnit.SECONDS));
            }
            Map<TopicPartition, OffsetSpec> latest = new HashMap<>();
            partitions.values().forEach(l -> l.forEach(tp -> latest.put(tp, OffsetSpec.latest())));
            var ends = admin.listOffsets(latest).all().get(5, TimeUnit.SECONDS);
            for (var g : GROUPS.entrySet()) {
                long sum = 0;
                for (TopicPartition tp : partitions.get(g.getValue())) {
                    OffsetAndMetadata c = committed.get(g.getKey()).get(tp);
                    sum += ends.get(tp).offset() - (c == null ? 0 : c.offset()); // fresh topics start at 0
                }
                byGroup.put(g.getKey(), sum);
            }
            Set<String> measured = expected;
            lag.add(new LagSample(elapsed(), byGroup, measured == null ? ended.size() : endedCount(measured)));
        } catch (Exception e) {
            if (!closed) {
                LOG.warn("lag sample failed: {}", e.toString());
            }
        }
    }

    private void sampleHeap() {
        for (Proc p : procs) {
            try {
                HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + p.port()
                        + "/metrics")).timeout(Duration.ofSeconds(2)).build(), HttpResponse.BodyHandlers.ofString());
                if (r.statusCode() != 200) {
                    continue;
                }
                long used = sum(r.body(), "jvm_memory_used_bytes{");
                peakHeap.merge(p.label(), used, Math::max);
                lastMetrics.put(p.label(), r.body());
            } catch (Exception e) {
                if (e instanceof InterruptedException) {
                    Thread.currentThread().interrupt();
                    return;
                }
                // a scrape that timed out on a busy machine: the next one counts
            }
        }
    }

    /** Sum of a Prometheus metric's heap-area series (Micrometer: one series per memory pool). */
    private static long sum(String body, String prefix) {
        return (long) sumOf(body, prefix, "area=\"heap\"");
    }

    private static double sumOf(String body, String prefix, String mustContain) {
        double total = 0;
        for (String line : body.split("\n")) {
            if (line.startsWith(prefix) && line.contains(mustContain)) {
                total += Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
            }
        }
        return total;
    }

    List<BackupEvent> events(String backupId) {
        return byBackup.getOrDefault(backupId, List.of());
    }

    /** Only these backups count in {@link #lagSeries} and {@link #lastEndSeconds}. */
    void expect(Set<String> backupIds) {
        expected = Set.copyOf(backupIds);
    }

    int endedCount(Set<String> backupIds) {
        return (int) backupIds.stream().filter(ended::contains).count();
    }

    boolean hasEnded(String backupId) {
        return ended.contains(backupId);
    }

    /** False once the status reader stopped on an error (the run cannot end then). */
    boolean readerAlive() {
        return reader.isAlive();
    }

    double lastEndSeconds() {
        return lastEndSeconds;
    }

    List<LagSample> lagSamples() {
        return List.copyOf(lag);
    }

    long peakHeapBytes(String label) {
        return peakHeap.getOrDefault(label, -1L);
    }

    /** Seconds the process spent in GC pauses since it started (its last /metrics scrape). */
    double gcPauseSeconds(String label) {
        String body = lastMetrics.get(label);
        return body == null ? Double.NaN : sumOf(body, "jvm_gc_pause_seconds_sum{", "");
    }

    /** GC pauses since the process started (its last /metrics scrape); {@code kind} "" for all, "major" or "minor". */
    long gcPauses(String label, String kind) {
        String body = lastMetrics.get(label);
        return body == null ? -1 : (long) sumOf(body, "jvm_gc_pause_seconds_count{", kind.isEmpty() ? "" : "end of " + kind);
    }

    /** Maximum lag seen per group. */
    Map<String, Long> maxLag() {
        Map<String, Long> max = new LinkedHashMap<>();
        GROUPS.keySet().forEach(g -> max.put(g, lag.stream().mapToLong(s -> s.lagByGroup().getOrDefault(g, 0L)).max()
                .orElse(0)));
        return max;
    }

    /** One line per {@code everySeconds} (the sample nearest after each mark), until every backup ended. */
    String lagSeries(int everySeconds, int total) {
        List<LagSample> samples = lagSamples();
        StringBuilder sb = new StringBuilder();
        sb.append(String.format("  %6s  %5s  %s%n", "t(s)", "ended",
                GROUPS.keySet().stream().map(g -> String.format("%6s", SHORT.get(g))).collect(Collectors.joining(" "))));
        double next = 0;
        for (int i = 0; i < samples.size(); i++) {
            LagSample s = samples.get(i);
            boolean last = i == samples.size() - 1 || s.ended() >= total && i > 0 && samples.get(i - 1).ended() < total;
            if (s.seconds() >= next || last) {
                sb.append(String.format("  %6.0f  %5d  %s%n", s.seconds(), s.ended(), GROUPS.keySet().stream()
                        .map(g -> String.format("%6d", s.lagByGroup().getOrDefault(g, 0L)))
                        .collect(Collectors.joining(" "))));
                next = s.seconds() + everySeconds - 0.5;
                if (s.ended() >= total) {
                    break;
                }
            }
        }
        return sb.toString();
    }

    List<Proc> procs() {
        return new ArrayList<>(procs);
    }

    @Override
    public void close() {
        closed = true;
        timers.shutdownNow();
        try {
            reader.join(5000);
            timers.awaitTermination(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        admin.close(Duration.ofSeconds(5));
    }
}
