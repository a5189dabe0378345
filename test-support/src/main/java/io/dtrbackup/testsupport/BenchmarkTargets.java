package io.dtrbackup.testsupport;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.stream.Collectors;

/**
 * The targets a benchmark states, each declared once as data (id, what is measured, the measured
 * figure, the direction and the bound), printed as a table beside the benchmark's report and, with
 * {@code -Dbench.check=true}, checked: every missed target is named with its measured figure and its
 * bound in one {@link AssertionError}, so the benchmark fails and Maven exits non-zero. Without the
 * flag the table is only printed, as before.
 *
 * <p>The benchmarks are not run by the build, so the check is for whoever runs them: a regression
 * shows as a failed run instead of a figure nobody compares. A bound can be set for one run with
 * {@code -Dbench.target.<id>=<bound>} (another machine, a stricter goal); the table says when it was.
 * A figure that could not be measured (NaN) misses its target.
 */
public final class BenchmarkTargets {
    /** Set to true to fail the benchmark when a target is missed. */
    public static final String CHECK_PROPERTY = "bench.check";
    /** Prefix of the per-target bound override: {@code bench.target.<id>}. */
    public static final String BOUND_PROPERTY_PREFIX = "bench.target.";

    /** Which side of the bound meets the target. */
    public enum Direction {
        AT_LEAST(">="),
        AT_MOST("<=");

        private final String symbol;

        Direction(String symbol) {
            this.symbol = symbol;
        }

        public String symbol() {
            return symbol;
        }

        boolean meets(double measured, double bound) {
            // NaN compares false both ways: an unmeasured figure misses.
            return this == AT_LEAST ? measured >= bound : measured <= bound;
        }
    }

    /** One stated target and what this run measured for it. */
    public record Target(String id, String what, double measured, Direction direction, double bound,
            boolean boundOverridden) {
        public boolean met() {
            return direction.meets(measured, bound);
        }

        /** "id: measured 0.71, target >= 0.80" */
        public String comparison() {
            return String.format(Locale.ROOT, "%s (%s): measured %s, target %s %s%s", id, what, fmt(measured),
                    direction.symbol(), fmt(bound), boundOverridden ? " (set by -D" + BOUND_PROPERTY_PREFIX + id + ")"
                            : "");
        }
    }

    private final String benchmark;
    private final List<Target> targets = new ArrayList<>();

    private BenchmarkTargets(String benchmark) {
        this.benchmark = benchmark;
    }

    public static BenchmarkTargets of(String benchmark) {
        return new BenchmarkTargets(benchmark);
    }

    /** The target is met when {@code measured >= bound}. */
    public BenchmarkTargets atLeast(String id, String what, double measured, double bound) {
        return add(id, what, measured, Direction.AT_LEAST, bound);
    }

    /** The target is met when {@code measured <= bound}. */
    public BenchmarkTargets atMost(String id, String what, double measured, double bound) {
        return add(id, what, measured, Direction.AT_MOST, bound);
    }

    private BenchmarkTargets add(String id, String what, double measured, Direction direction, double bound) {
        if (targets.stream().anyMatch(t -> t.id().equals(id))) {
            throw new IllegalArgumentException("target " + id + " declared twice in " + benchmark);
        }
        String override = System.getProperty(BOUND_PROPERTY_PREFIX + id);
        double effective = override == null ? bound : Double.parseDouble(override.trim());
        targets.add(new Target(id, what, measured, direction, effective, override != null));
        return this;
    }

    public List<Target> targets() {
        return List.copyOf(targets);
    }

    public List<Target> missed() {
        return targets.stream().filter(t -> !t.met()).toList();
    }

    /** The comparison table, one line per target, for the benchmark's report. */
    public String table() {
        StringBuilder sb = new StringBuilder(String.format(Locale.ROOT, "targets of %s (%s):%n", benchmark,
                checkEnabled() ? "checked: -D" + CHECK_PROPERTY + "=true" : "printed only; -D" + CHECK_PROPERTY
                        + "=true fails the run on a miss"));
        if (targets.isEmpty()) {
            sb.append("  none applies to this configuration\n");
        }
        for (Target t : targets) {
            sb.append(String.format(Locale.ROOT, "  %-6s %-28s %-52s %10s %s %-8s%s%n", t.met() ? "met" : "MISSED",
                    t.id(), t.what(), fmt(t.measured()), t.direction().symbol(), fmt(t.bound()),
                    t.boundOverridden() ? " (bound from -D" + BOUND_PROPERTY_PREFIX + t.id() + ")" : ""));
        }
        return sb.toString();
    }

    /** With {@code -Dbench.check=true}: fails naming every missed target. Otherwise does nothing. */
    public void check() {
        check(checkEnabled());
    }

    void check(boolean enabled) {
        List<Target> missed = missed();
        if (enabled && !missed.isEmpty()) {
            throw new AssertionError(benchmark + ": " + missed.size() + " of " + targets.size() + " target(s) missed: "
                    + missed.stream().map(Target::comparison).collect(Collectors.joining("; ")));
        }
    }

    public static boolean checkEnabled() {
        return Boolean.getBoolean(CHECK_PROPERTY);
    }

    private static String fmt(double v) {
        return Double.isNaN(v) ? "not measured" : String.format(Locale.ROOT, "%.2f", v);
    }
}
