package io.dtrbackup.testsupport;

import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.api.command.InspectVolumeResponse;
import com.github.dockerjava.api.model.Container;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A Docker endpoint for tests and benchmarks: the shared engine, or a private one on
 * {@code /var/run/<name>.sock} with data root {@code /var/lib/<name>}, started with
 * deploy/setup-docker-engine.sh and stopped on close when this class started it. The shared engine
 * holds other runs' simulated replicas, which a discovery would see (it lists every dtr-* container,
 * as it must); a private engine shows exactly the replicas its user created.
 */
public final class PrivateDockerEngine implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(PrivateDockerEngine.class);

    private final String name;
    private final String dockerHost;
    private final long pid;

    private PrivateDockerEngine(String name, String dockerHost, long pid) {
        this.name = name;
        this.dockerHost = dockerHost;
        this.pid = pid;
    }

    /** The shared engine; never stopped by this class. FAILS when it does not answer. */
    public static PrivateDockerEngine shared() {
        String host = DtrSimulator.defaultDockerHost();
        String problem = DtrSimulator.pingProblem(host);
        if (problem != null) {
            throw new AssertionError("the Docker engine " + host + " does not answer: " + problem);
        }
        return new PrivateDockerEngine("shared", host, -1);
    }

    /**
     * Starts (or reuses) the private engine {@code /var/run/<name>.sock}, its dockerd log in
     * {@code logDir}, and removes simulator leftovers of an earlier, killed run; FAILS when it cannot run.
     * Run from a module directory: the script is found in {@code ../deploy/}.
     */
    public static PrivateDockerEngine start(String name, Path logDir) throws IOException, InterruptedException {
        String host = "unix:///var/run/" + name + ".sock";
        long pid = -1;
        if (DtrSimulator.pingProblem(host) != null) {
            Path script = Path.of("").toAbsolutePath().getParent().resolve("deploy/setup-docker-engine.sh");
            Files.createDirectories(logDir);
            ProcessBuilder pb = new ProcessBuilder("bash", script.toString()).redirectErrorStream(true);
            pb.environment().put("DOCKER_SOCKET", "/var/run/" + name + ".sock");
            pb.environment().put("DOCKER_DATA", "/var/lib/" + name);
            pb.environment().put("DOCKER_LOG", logDir.toAbsolutePath().resolve(name + "-dockerd.log").toString());
            Process p = pb.start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!p.waitFor(90, TimeUnit.SECONDS) || p.exitValue() != 0) {
                throw new AssertionError("cannot start a private Docker engine on " + host + ": " + out);
            }
            pid = Long.parseLong(Files.readString(Path.of("/var/run/" + name + ".pid")).trim());
            LOG.info("started private Docker engine {} (dockerd pid {})", host, pid);
        }
        String problem = DtrSimulator.pingProblem(host);
        if (problem != null) {
            throw new AssertionError("private Docker engine " + host + " does not answer: " + problem);
        }
        PrivateDockerEngine engine = new PrivateDockerEngine(name, host, pid);
        engine.sweep();
        return engine;
    }

    public String name() {
        return name;
    }

    public String dockerHost() {
        return dockerHost;
    }

    private void sweep() {
        try (DtrSimulator probe = DtrSimulator.start(dockerHost)) {
            DockerClient docker = probe.docker();
            List<Container> left = docker.listContainersCmd().withShowAll(true)
                    .withLabelFilter(List.of(DtrSimulator.LABEL)).exec();
            for (Container c : left) {
                docker.removeContainerCmd(c.getId()).withForce(true).exec();
            }
            List<InspectVolumeResponse> volumes = docker.listVolumesCmd().exec().getVolumes();
            if (volumes != null) {
                for (InspectVolumeResponse v : volumes) {
                    if (v.getLabels() != null && v.getLabels().containsKey(DtrSimulator.LABEL)) {
                        docker.removeVolumeCmd(v.getName()).exec();
                    }
                }
            }
            if (!left.isEmpty()) {
                LOG.info("{}: removed {} leftover simulator container(s)", name, left.size());
            }
        }
    }

    @Override
    public void close() {
        if (pid <= 0) {
            return;
        }
        ProcessHandle.of(pid).ifPresent(h -> {
            h.destroy();
            try {
                h.onExit().get(30, TimeUnit.SECONDS);
            } catch (Exception e) {
                h.destroyForcibly();
            }
        });
        LOG.info("stopped private Docker engine {}", dockerHost);
    }

    @Override
    public String toString() {
        return name + " (" + dockerHost + ")";
    }
}
