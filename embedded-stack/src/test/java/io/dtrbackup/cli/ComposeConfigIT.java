package io.dtrbackup.cli;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/**
 * deploy/compose.yaml as Compose itself reads it (Debian's docker-compose, which
 * deploy/setup-docker-engine.sh installs): {@code config} validates the whole file offline (no
 * engine, no image pulled), and the project is the five services, the jobs and stores beside them,
 * the live board and the monitoring pair. DeployManifestsTest holds the file to the project's own
 * rules; this is the check that Compose accepts it at all. No docker-compose: the test fails.
 */
class ComposeConfigIT {
    static DebianTool.Run compose(String... args) throws Exception {
        return DebianTool.DOCKER_COMPOSE.run(DeployManifestsTest.DEPLOY,
                concat("-f", DeployManifestsTest.DEPLOY.resolve("compose.yaml").toString(), args));
    }

    private static String[] concat(String a, String b, String... rest) {
        String[] all = new String[rest.length + 2];
        all[0] = a;
        all[1] = b;
        System.arraycopy(rest, 0, all, 2, rest.length);
        return all;
    }

    @Test
    void composeAcceptsTheFileWithEveryService() throws Exception {
        DebianTool.Run check = compose("config", "-q");
        assertThat(check.code()).as("docker-compose config -q:%n%s", check.output()).isZero();

        DebianTool.Run services = compose("config", "--services");
        assertThat(services.code()).as("docker-compose config --services:%n%s", services.output()).isZero();
        assertThat(services.output().lines().map(String::strip).filter(l -> !l.isEmpty()).toList())
                .as("the services of deploy/compose.yaml")
                .contains("discovery-service", "metadata-service", "image-service", "crypto-service",
                        "verify-service", "board", "prometheus", "grafana");
    }
}
