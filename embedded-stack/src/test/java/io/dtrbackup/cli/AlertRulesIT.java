package io.dtrbackup.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.dtrbackup.common.metrics.PipelineMeters;
import io.dtrbackup.common.metrics.ServiceMetrics;
import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The alert rules, the scrape config and the dashboard, checked by the real promtool (Debian's
 * {@code prometheus} package; deploy/setup-docker-engine.sh installs it): the rules and the config
 * load, the rules' unit tests (deploy/prometheus/dtr-backup-rules.test.yaml: each alert fires when
 * it should and stays quiet when it should not) pass, and every dashboard query parses as PromQL.
 * Every metric they name is declared by PipelineMeters (or is a JVM meter ServiceMetrics binds);
 * SeparateProcessesE2EIT checks the same names against the five services' live /metrics.
 * No promtool: the test fails, it does not skip.
 */
class AlertRulesIT {
    /** A declared meter's Prometheus name plus what Micrometer appends (unit, then the sample's suffix). */
    static final Pattern MICROMETER_SUFFIX = Pattern.compile("(_seconds|_bytes)?(_total|_sum|_count|_max)?");

    @TempDir
    Path dir;

    static DebianTool.Run promtool(Path workDir, String... args) throws Exception {
        return DebianTool.PROMTOOL.run(workDir, args);
    }

    static void succeeds(Path workDir, String... args) throws Exception {
        DebianTool.Run r = promtool(workDir, args);
        assertThat(r.code()).as("promtool " + String.join(" ", args) + " in " + workDir + ":\n" + r.output()).isZero();
    }

    @Test
    void theRulesAndTheScrapeConfigLoad() throws Exception {
        succeeds(MonitoringFiles.PROMETHEUS, "check", "rules", MonitoringFiles.RULES.getFileName().toString());
        succeeds(MonitoringFiles.PROMETHEUS, "check", "config", MonitoringFiles.SCRAPE_CONFIG.getFileName().toString());
    }

    @Test
    void eachAlertFiresWhenItShouldAndStaysQuietWhenItShouldNot() throws Exception {
        DebianTool.Run r = promtool(MonitoringFiles.PROMETHEUS, "test", "rules", MonitoringFiles.RULE_TESTS.getFileName().toString());
        assertThat(r.code()).as("promtool test rules:\n" + r.output()).isZero();
        assertThat(r.output()).contains("SUCCESS");
        // Every alert of the rules file has a test that expects it to fire and one that expects silence.
        JsonNode tests = DeployManifestsTest.documents(MonitoringFiles.RULE_TESTS).get(0).path("tests");
        Set<String> fires = new TreeSet<>();
        Set<String> quiet = new TreeSet<>();
        tests.forEach(t -> t.path("alert_rule_test").forEach(c -> (c.path("exp_alerts").isEmpty() ? quiet : fires)
                .add(c.path("alertname").asText())));
        assertThat(fires).as("alerts with a firing case").isEqualTo(MonitoringFiles.ruleExpressions().keySet());
        assertThat(quiet).as("alerts with a quiet case").isEqualTo(MonitoringFiles.ruleExpressions().keySet());
    }

    @Test
    void everyDashboardQueryParsesAsPromQl() throws Exception {
        Map<String, String> queries = MonitoringFiles.dashboardExpressions();
        StringBuilder rules = new StringBuilder("groups:\n  - name: dashboard-queries\n    rules:\n");
        int i = 0;
        for (Map.Entry<String, String> q : queries.entrySet()) {
            assertThat(q.getValue()).as(q.getKey() + ": a Grafana variable in a query (promtool cannot parse it)")
                    .doesNotContain("$");
            rules.append("      # ").append(q.getKey().replace('\n', ' ')).append('\n')
                    .append("      - record: dashboard:query_").append(++i).append('\n')
                    .append("        expr: ").append(DeployManifestsTest.YAML.writeValueAsString(q.getValue())
                            .replaceFirst("^---\\s*", "").strip()).append('\n');
        }
        Path file = Files.writeString(dir.resolve("dashboard-queries.yaml"), rules);
        DebianTool.Run r = promtool(dir, "check", "rules", file.getFileName().toString());
        assertThat(r.code()).as("dashboard queries as recording rules:\n" + rules + "\n" + r.output()).isZero();
        assertThat(r.output()).contains("SUCCESS: " + queries.size() + " rules found");
    }

    @Test
    void everyMetricNamedIsADeclaredMeterAndServiceDownWatchesTheShippedScrapeJob() throws Exception {
        Set<String> declared = new TreeSet<>();
        for (Field f : PipelineMeters.class.getFields()) {
            if (Modifier.isStatic(f.getModifiers()) && f.getType() == String.class
                    && ((String) f.get(null)).startsWith("dtr.backup.")) {
                declared.add(((String) f.get(null)).replace('.', '_'));
            }
        }
        Set<String> jvm;
        try (ServiceMetrics metrics = new ServiceMetrics("alert-rules-check")) {
            jvm = MonitoringFiles.sampleNames(metrics.scrape());
        }
        List<String> unknown = new ArrayList<>();
        Map<String, Set<String>> named = MonitoringFiles.namedMetrics();
        named.forEach((name, where) -> {
            boolean ok = MonitoringFiles.SCRAPE_SERIES.contains(name) || jvm.contains(name)
                    || declared.stream().anyMatch(d -> name.startsWith(d)
                            && MICROMETER_SUFFIX.matcher(name.substring(d.length())).matches());
            if (!ok) {
                unknown.add(name + " (named by " + String.join(", ", where) + ")");
            }
        });
        assertThat(unknown).as("metrics neither PipelineMeters declares nor ServiceMetrics binds").isEmpty();
        assertThat(named).containsKeys("dtr_backup_clusters_overdue", "dtr_backup_last_success_timestamp_seconds",
                "dtr_backup_backups_total", "dtr_backup_reverifications_total", "dtr_backup_jobs_dead_lettered_total",
                "dtr_backup_consumer_lag", "up");

        // The service-down rule selects the job the shipped scrape config defines.
        JsonNode config = DeployManifestsTest.documents(MonitoringFiles.SCRAPE_CONFIG).get(0);
        JsonNode job = config.at("/scrape_configs/0");
        assertThat(MonitoringFiles.ruleExpressions().get("DtrBackupServiceDown"))
                .contains("up{job=\"" + job.get("job_name").asText() + "\"}");
        List<String> targets = new ArrayList<>();
        job.at("/static_configs/0/targets").forEach(t -> targets.add(t.asText()));
        assertThat(targets).containsExactlyInAnyOrderElementsOf(Services.all().stream()
                .map(s -> s.name() + ":8080").toList());
    }
}
