package io.dtrbackup.testsupport;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class BenchmarkTargetsTest {

    @Test
    void aMissedTargetFailsTheCheckNamingMeasuredAndBound() {
        BenchmarkTargets targets = BenchmarkTargets.of("SomeBenchmark")
                .atLeast("archive-vs-cp", "archive / docker cp", 0.71, 0.8)
                .atMost("pipeline-vs-peer", "pipeline / peer", 0.95, 1.0);

        assertThat(targets.missed()).extracting(BenchmarkTargets.Target::id).containsExactly("archive-vs-cp");
        assertThatThrownBy(() -> targets.check(true)).isInstanceOf(AssertionError.class)
                .hasMessageContaining("SomeBenchmark: 1 of 2 target(s) missed")
                .hasMessageContaining("archive-vs-cp (archive / docker cp): measured 0.71, target >= 0.80")
                .hasMessageNotContaining("pipeline-vs-peer");
    }

    @Test
    void everyMissIsNamedAndBothDirectionsAreChecked() {
        BenchmarkTargets targets = BenchmarkTargets.of("B").atLeast("low", "x", 0.5, 0.6).atMost("high", "y", 1.2, 1.0);

        assertThatThrownBy(() -> targets.check(true)).hasMessageContaining("2 of 2")
                .hasMessageContaining("low (x): measured 0.50, target >= 0.60")
                .hasMessageContaining("high (y): measured 1.20, target <= 1.00");
    }

    @Test
    void metTargetsAndBoundsThemselvesPass() {
        BenchmarkTargets targets = BenchmarkTargets.of("B").atLeast("a", "x", 0.8, 0.8).atMost("b", "y", 1.0, 1.0);

        assertThat(targets.missed()).isEmpty();
        assertThatCode(() -> targets.check(true)).doesNotThrowAnyException();
        assertThat(targets.table()).contains("met").doesNotContain("MISSED");
    }

    @Test
    void withoutTheCheckAMissIsOnlyPrinted() {
        BenchmarkTargets targets = BenchmarkTargets.of("B").atLeast("a", "x", 0.1, 0.8);

        assertThatCode(() -> targets.check(false)).doesNotThrowAnyException();
        assertThat(targets.table()).contains("MISSED").contains("0.10").contains("0.80");
    }

    @Test
    void anUnmeasuredFigureMissesItsTarget() {
        BenchmarkTargets targets = BenchmarkTargets.of("B").atLeast("a", "x", Double.NaN, 0.8)
                .atMost("b", "y", Double.NaN, 1.0);

        assertThat(targets.missed()).hasSize(2);
        assertThatThrownBy(() -> targets.check(true)).hasMessageContaining("measured not measured");
    }

    @Test
    void aBoundCanBeSetForOneRunByProperty() {
        System.setProperty("bench.target.a", "0.95");
        try {
            BenchmarkTargets targets = BenchmarkTargets.of("B").atLeast("a", "x", 0.9, 0.8);

            assertThat(targets.targets().get(0).bound()).isEqualTo(0.95);
            assertThatThrownBy(() -> targets.check(true))
                    .hasMessageContaining("measured 0.90, target >= 0.95 (set by -Dbench.target.a)");
        } finally {
            System.clearProperty("bench.target.a");
        }
    }
}
