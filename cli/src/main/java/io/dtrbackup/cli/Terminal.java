package io.dtrbackup.cli;

import java.io.PrintWriter;
import java.time.Duration;

/** Whether output goes to a person at a terminal (bars, redraws) or to a pipe/log (plain lines). */
final class Terminal {
    private Terminal() {
    }

    static boolean interactive(boolean plainRequested) {
        return !plainRequested && System.console() != null && !"dumb".equals(System.getenv("TERM"));
    }

    static ProgressView progressView(boolean plainRequested, PrintWriter out) {
        return interactive(plainRequested) ? new BarProgressView(System.out) : new PlainProgressView(out, Duration.ofSeconds(5));
    }
}
