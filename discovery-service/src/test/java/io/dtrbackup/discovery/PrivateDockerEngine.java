package io.dtrbackup.discovery;

import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.api.command.InspectVolumeResponse;
import com.github.dockerjava.api.model.Container;
import io.dtrbackup.testsupport.DtrSimulator;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A Docker engine of this module's tests alone, on its own socket and data root, started with
 * deploy/setup-docker-engine.sh. The shared engine holds other engineers' simulated replicas,
 * which a discovery test would see (it lists every dtr-* container, as it must); a private
 * engine shows exactly the replicas the test created. Stopped on close if this class started it.
 */
final class PrivateDockerEngine implements AutoCloseable {
    private final String name;
    private final String dockerHost;
    private final long pid;

    private PrivateDockerEngine(String name, String dockerHost, long pid) {
        this.name = name;
        this.dockerHost = dockerHost;
        this.pid = pid;
    }

    /** Starts (or reuses) the engine {@code /var/run/<name>.sock}; FAILS when it cannot run. */
    static PrivateDockerEngine start(String name) throws IOException, InterruptedException {
        String host = "unix:///var/run/" + name + ".sock";
        long pid = -1;
        if (DtrSimulator.pingProblem(host) != null) {
            Path script = Path.of(System.getProperty("user.dir")).toAbsolutePath().getParent()
                    .resolve("deploy/setup-docker-engine.sh");
            Path log = Path.of(System.getProperty("user.dir"), "target", name + "-dockerd.log");
            ProcessBuilder pb = new ProcessBuilder("bash", script.toString()).redirectErrorStream(true);
            pb.environment().put("DOCKER_SOCKET", "/var/run/" + name + ".sock");
            pb.environment().put("DOCKER_DATA", "/var/lib/" + name);
            pb.environment().put("DOCKER_LOG", log.toString());
            Process p = pb.start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!p.waitFor(90, TimeUnit.SECONDS) || p.exitValue() != 0) {
                throw new AssertionError("cannot start a private Docker engine on " + host + ": " + out);
            }
            pid = Long.parseLong(Files.readString(Path.of("/var/run/" + name + ".pid")).trim());
        }
        String problem = DtrSimulator.pingProblem(host);
        if (problem != null) {
            throw new AssertionError("private Docker engine " + host + " does not answer: " + problem);
        }
        PrivateDockerEngine engine = new PrivateDockerEngine(name, host, pid);
        engine.sweep();
        return engine;
    }

    String dockerHost() {
        return dockerHost;
    }

    /** Removes simulator leftovers of an earlier, killed run: this engine is this module's alone. */
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
        }
    }

    @Override
    public void close() throws Exception {
        if (pid > 0) {
            ProcessHandle.of(pid).ifPresent(h -> {
                h.destroy();
                try {
                    h.onExit().get(30, TimeUnit.SECONDS);
                } catch (Exception e) {
                    h.destroyForcibly();
                }
            });
        }
    }

    @Override
    public String toString() {
        return name + " (" + dockerHost + ")";
    }
}
