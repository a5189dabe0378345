package io.dtrbackup.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A command-line tool from a Debian package that deploy/setup-docker-engine.sh installs (promtool,
 * docker-compose), run to completion with its output captured. A missing tool fails the test with
 * the package to install: the ITs that need one never skip.
 */
record DebianTool(String command, String debianPackage) {
    static final DebianTool PROMTOOL = new DebianTool("promtool", "prometheus");
    static final DebianTool DOCKER_COMPOSE = new DebianTool("docker-compose", "docker-compose");

    /** What one run printed (stdout and stderr together) and its exit code. */
    record Run(int code, String output) {
    }

    Run run(Path workDir, String... args) throws Exception {
        List<String> line = new ArrayList<>(List.of(command));
        line.addAll(List.of(args));
        Process p;
        try {
            p = new ProcessBuilder(line).directory(workDir.toFile()).redirectErrorStream(true).start();
        } catch (IOException e) {
            return fail(command + " is not installed (" + e.getMessage() + "): apt-get install " + debianPackage
                    + ", or run deploy/setup-docker-engine.sh, which installs it");
        }
        p.getOutputStream().close();
        byte[] out = p.getInputStream().readAllBytes();
        assertThat(p.waitFor(2, TimeUnit.MINUTES)).as(command + " " + String.join(" ", args) + " finished").isTrue();
        return new Run(p.exitValue(), new String(out, StandardCharsets.UTF_8));
    }
}
