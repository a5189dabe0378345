package io.dtrbackup.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * deploy/compose.yaml as Compose itself reads it (Debian's docker-compose, which
 * deploy/setup-docker-engine.sh installs): {@code config} validates the whole file offline (no
 * engine, no image pulled), and the project is the five services, the jobs and stores beside them,
 * the live board and the monitoring pair. DeployManifestsTest holds the file to the project's own
 * rules; this is the check that Compose accepts it at all. No docker-compose: the test fails.
 */
class ComposeConfigIT {
    record Run(int code, String output) {
    }

    static Run compose(String... args) throws Exception {
        List<String> command = new java.util.ArrayList<>(List.of("docker-compose", "-f",
                DeployManifestsTest.DEPLOY.resolve("compose.yaml").toString()));
        command.addAll(List.of(args));
        Process p;
        try {
            p = new ProcessBuilder(command).redirectErrorStream(true).start();
        } catch (IOException e) {
            return fail("docker-compose is not installed (" + e.getMessage() + "): apt-get install docker-compose, "
                    + "or run deploy/setup-docker-engine.sh, which installs it");
        }
        p.getOutputStream().close();
        byte[] out = p.getInputStream().readAllBytes();
        assertThat(p.waitFor(2, TimeUnit.MINUTES)).as("docker-compose " + String.join(" ", args) + " finished").isTrue();
        return new Run(p.exitValue(), new String(out, StandardCharsets.UTF_8));
    }

    @Test
    void composeAcceptsTheFileWithEveryService() throws Exception {
        Run check = compose("config", "-q");
        assertThat(check.code()).as("docker-compose config -q:%n%s", check.output()).isZero();

        Run services = compose("config", "--services");
        assertThat(services.code()).as("docker-compose config --services:%n%s", services.output()).isZero();
        assertThat(services.output().lines().map(String::strip).filter(l -> !l.isEmpty()).toList())
                .as("the services of deploy/compose.yaml")
                .contains("discovery-service", "metadata-service", "image-service", "crypto-service",
                        "verify-service", "board", "prometheus", "grafana");
    }
}
