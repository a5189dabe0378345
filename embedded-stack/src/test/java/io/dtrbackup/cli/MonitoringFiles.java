package io.dtrbackup.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The monitoring files of deploy/ as tests read them: the PromQL expressions of the alert rules
 * (deploy/prometheus/dtr-backup-rules.yaml) and of the Grafana dashboard (deploy/grafana/dtr-backup.json),
 * the metric names those expressions select, and the sample names a {@code /metrics} answer exports.
 * Used by AlertRulesIT (promtool) and SeparateProcessesE2EIT (the names against five live scrapes).
 */
final class MonitoringFiles {
    static final Path PROMETHEUS = DeployManifestsTest.DEPLOY.resolve("prometheus");
    static final Path RULES = PROMETHEUS.resolve("dtr-backup-rules.yaml");
    static final Path RULE_TESTS = PROMETHEUS.resolve("dtr-backup-rules.test.yaml");
    static final Path SCRAPE_CONFIG = PROMETHEUS.resolve("prometheus.yml");
    static final Path DASHBOARD = DeployManifestsTest.DEPLOY.resolve("grafana").resolve("dtr-backup.json");
    /** Series Prometheus makes itself for every target, not exported by the services. */
    static final Set<String> SCRAPE_SERIES = Set.of("up");

    private static final Pattern QUOTED = Pattern.compile("\"(?:[^\"\\\\]|\\\\.)*\"|'(?:[^'\\\\]|\\\\.)*'|`[^`]*`");
    private static final Pattern BRACES = Pattern.compile("\\{[^}]*}|\\[[^]]*]");
    private static final Pattern GROUPING = Pattern.compile(
            "\\b(?:by|without|on|ignoring|group_left|group_right)\\s*\\([^)]*\\)");
    private static final Pattern IDENTIFIER = Pattern.compile("(?<![\\w:.])[a-zA-Z_:][\\w:]*");
    private static final Set<String> KEYWORDS = Set.of("and", "or", "unless", "bool", "offset", "by", "without", "on",
            "ignoring", "group_left", "group_right", "inf", "nan", "atan2");
    private static final Pattern SAMPLE = Pattern.compile("^([a-zA-Z_:][\\w:]*)[{ ]", Pattern.MULTILINE);

    private MonitoringFiles() {
    }

    /** alert name -> its expression. */
    static Map<String, String> ruleExpressions() {
        Map<String, String> exprs = new TreeMap<>();
        try {
            for (JsonNode group : DeployManifestsTest.documents(RULES).get(0).path("groups")) {
                for (JsonNode rule : group.path("rules")) {
                    String name = rule.has("alert") ? rule.get("alert").asText() : rule.path("record").asText();
                    assertThat(exprs.put(name, rule.get("expr").asText())).as("rule named twice: " + name).isNull();
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        assertThat(exprs).as(RULES.toString()).isNotEmpty();
        return exprs;
    }

    /** "panel title / refId" -> expression, for every query of every panel (rows included). */
    static Map<String, String> dashboardExpressions() {
        Map<String, String> exprs = new TreeMap<>();
        try {
            collect(new ObjectMapper().readTree(DASHBOARD.toFile()).path("panels"), exprs);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        assertThat(exprs).as(DASHBOARD.toString()).isNotEmpty();
        return exprs;
    }

    private static void collect(JsonNode panels, Map<String, String> exprs) {
        for (JsonNode panel : panels) {
            for (JsonNode target : panel.path("targets")) {
                exprs.put(panel.path("title").asText() + " / " + target.path("refId").asText(),
                        target.path("expr").asText());
            }
            collect(panel.path("panels"), exprs);
        }
    }

    /** The metric names an expression selects (not functions, keywords, labels, durations or numbers). */
    static Set<String> metricNames(String expr) {
        String s = QUOTED.matcher(expr).replaceAll(" ");
        s = BRACES.matcher(s).replaceAll(" ");
        s = GROUPING.matcher(s).replaceAll(" ");
        Set<String> names = new TreeSet<>();
        Matcher m = IDENTIFIER.matcher(s);
        while (m.find()) {
            String rest = s.substring(m.end()).stripLeading();
            if (!rest.startsWith("(") && !KEYWORDS.contains(m.group().toLowerCase(java.util.Locale.ROOT))) {
                names.add(m.group());
            }
        }
        return names;
    }

    /** metric name -> where it is named ("rule X", "dashboard Y / A"), over the rules and the dashboard. */
    static Map<String, Set<String>> namedMetrics() {
        Map<String, Set<String>> named = new TreeMap<>();
        ruleExpressions().forEach((rule, expr) -> metricNames(expr)
                .forEach(n -> named.computeIfAbsent(n, k -> new TreeSet<>()).add("rule " + rule)));
        dashboardExpressions().forEach((panel, expr) -> metricNames(expr)
                .forEach(n -> named.computeIfAbsent(n, k -> new TreeSet<>()).add("dashboard " + panel)));
        return named;
    }

    /** The sample names of a Prometheus text exposition ({@code name_total}, {@code name_sum}, ...). */
    static Set<String> sampleNames(String exposition) {
        Set<String> names = new TreeSet<>();
        Matcher m = SAMPLE.matcher(exposition);
        while (m.find()) {
            names.add(m.group(1));
        }
        return names;
    }

    /**
     * Every metric the rules or the dashboard name is a sample name in at least one of these
     * {@code /metrics} answers, or one Prometheus makes itself ({@link #SCRAPE_SERIES}).
     */
    static void assertEveryNamedMetricIsExported(Collection<String> scrapes) {
        Set<String> exported = new TreeSet<>();
        scrapes.forEach(s -> exported.addAll(sampleNames(s)));
        List<String> missing = new ArrayList<>();
        namedMetrics().forEach((name, where) -> {
            if (!SCRAPE_SERIES.contains(name) && !exported.contains(name)) {
                missing.add(name + " (named by " + String.join(", ", where) + ")");
            }
        });
        assertThat(missing).as("metrics the alert rules or the dashboard name that no service exports").isEmpty();
    }
}
