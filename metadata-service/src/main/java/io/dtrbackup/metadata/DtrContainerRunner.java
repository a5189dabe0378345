package io.dtrbackup.metadata;

import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.api.async.ResultCallback;
import com.github.dockerjava.api.exception.DockerClientException;
import com.github.dockerjava.api.exception.NotFoundException;
import com.github.dockerjava.api.exception.NotModifiedException;
import com.github.dockerjava.api.model.Container;
import com.github.dockerjava.api.model.Frame;
import com.github.dockerjava.api.model.HostConfig;
import com.github.dockerjava.api.model.LogConfig;
import com.github.dockerjava.api.model.StreamType;
import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs {@code docker/dtr backup} like the seed's {@code docker run -i --rm --log-driver none -e
 * UCP_PASSWORD ...}, through the Docker API: no TTY, log driver none, attached to stdout and stderr
 * before the start, exit code awaited, then the attach stream drained (the exit code can arrive
 * before the last bytes), the container removed whatever happened.
 */
final class DtrContainerRunner {
    static final String ROLE_LABEL = "io.dtrbackup.role";
    static final String ROLE = "metadata-backup";
    static final String BACKUP_LABEL = "io.dtrbackup.backup-id";
    static final String CLUSTER_LABEL = "io.dtrbackup.cluster-id";
    static final String REPLICA_LABEL = "io.dtrbackup.replica-id";
    private static final Logger LOG = LoggerFactory.getLogger(DtrContainerRunner.class);
    private static final Duration DRAIN_TIMEOUT = Duration.ofMinutes(5);
    /**
     * Loggers that print what this class hands docker-java, the container's env and so the UCP password
     * with it: docker-java logs every command with all its fields at DEBUG ("Cmd: ..."), httpclient5's wire
     * log dumps each request body. Whatever the logging configuration says, they stay at INFO or above.
     */
    static final List<String> SECRET_BEARING_LOGGERS = List.of("com.github.dockerjava.core.command.AbstrDockerCmd",
            "org.apache.hc.client5.http.wire");

    static {
        for (String name : SECRET_BEARING_LOGGERS) {
            if (LoggerFactory.getLogger(name) instanceof ch.qos.logback.classic.Logger logger
                    && !logger.getEffectiveLevel().isGreaterOrEqual(ch.qos.logback.classic.Level.INFO)) {
                logger.setLevel(ch.qos.logback.classic.Level.INFO);
            }
        }
    }

    /** Why the container could not be run or did not finish; the message is for operators (no secret). */
    static final class RunFailure extends Exception {
        RunFailure(String message, Throwable cause) {
            super(message, cause);
        }
    }

    /**
     * @param passwordEnv {@code UCP_PASSWORD=<password>}: the only place the password goes
     * @param onCreated called with the container ID after create, before start (tests inspect it)
     */
    record Spec(String image, List<String> args, String passwordEnv, Map<String, String> labels, String networkMode,
            Duration timeout, Consumer<String> onCreated) {
    }

    private DtrContainerRunner() {
    }

    /**
     * The container's host settings, as {@code docker run --log-driver none} (no copy of the tar in the
     * engine's logs) with {@code networkMode} passed through: {@value MetadataServiceConfig#ENGINE_DEFAULT_NETWORK}
     * is the Docker API's own name for the engine's default network, what the docker CLI sends when
     * no --network is given.
     */
    static HostConfig hostConfig(String networkMode) {
        return HostConfig.newHostConfig()
                .withNetworkMode(networkMode)
                .withLogConfig(new LogConfig(LogConfig.LoggingType.NONE));
    }

    /** Runs the container to its end; returns its exit code. Stdout and stderr go to {@code capture}. */
    static int run(DockerClient docker, Spec spec, MetadataCapture capture) throws RunFailure {
        removeLeftovers(docker, spec.labels());
        String id;
        try {
            id = docker.createContainerCmd(spec.image())
                    .withCmd(spec.args())
                    .withEnv(List.of(spec.passwordEnv()))
                    .withLabels(spec.labels())
                    .withTty(false)
                    .withAttachStdin(false)
                    .withStdinOpen(false)
                    .withAttachStdout(true)
                    .withAttachStderr(true)
                    .withHostConfig(hostConfig(spec.networkMode()))
                    .exec().getId();
        } catch (NotFoundException e) {
            throw new RunFailure("image " + spec.image() + " is not on the cluster's Docker endpoint: load or pull it "
                    + "there (docker pull " + spec.image() + "); dtr-backup does not pull images", e);
        } catch (RuntimeException e) {
            throw new RunFailure("cannot create the " + spec.image() + " container: " + e.getMessage(), e);
        }
        Attach attach = new Attach(capture);
        try {
            if (spec.onCreated() != null) {
                spec.onCreated().accept(id);
            }
            docker.attachContainerCmd(id).withStdOut(true).withStdErr(true).withFollowStream(true).exec(attach);
            if (!attach.awaitStarted(30, TimeUnit.SECONDS)) {
                throw new RunFailure("attaching to the " + spec.image() + " container did not start within 30 s", null);
            }
            long t0 = System.nanoTime();
            docker.startContainerCmd(id).exec();
            int code;
            try {
                code = docker.waitContainerCmd(id).start().awaitStatusCode(spec.timeout().toMillis(),
                        TimeUnit.MILLISECONDS);
            } catch (DockerClientException timeout) {
                kill(docker, id);
                throw new RunFailure(spec.image() + " backup did not finish within " + spec.timeout()
                        + " and was killed (DTR_TIMEOUT)", timeout);
            }
            // The exit code can arrive before the last stdout bytes: drain the attach stream.
            if (!attach.awaitCompletion(DRAIN_TIMEOUT.toSeconds(), TimeUnit.SECONDS)) {
                throw new RunFailure("the output of " + spec.image() + " did not end within " + DRAIN_TIMEOUT
                        + " after it exited", null);
            }
            if (attach.error != null) {
                throw new RunFailure("the attach stream of " + spec.image() + " broke: " + attach.error, null);
            }
            LOG.debug("container {} exited with {} after {} ms", id, code, (System.nanoTime() - t0) / 1_000_000);
            return code;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new RunFailure("interrupted while running " + spec.image(), e);
        } catch (RuntimeException e) {
            throw new RunFailure("running " + spec.image() + " failed: " + e.getMessage(), e);
        } finally {
            try {
                attach.close();
            } catch (IOException ignored) {
                // the stream is finished or broken either way
            }
            remove(docker, id);
        }
    }

    /** Containers of an earlier attempt of the same backup (a crashed instance) are removed first. */
    private static void removeLeftovers(DockerClient docker, Map<String, String> labels) {
        Map<String, String> filter = Map.of(ROLE_LABEL, ROLE, BACKUP_LABEL, labels.get(BACKUP_LABEL));
        try {
            for (Container c : docker.listContainersCmd().withShowAll(true).withLabelFilter(filter).exec()) {
                Map<String, String> l = c.getLabels();
                if (l != null && ROLE.equals(l.get(ROLE_LABEL)) && labels.get(BACKUP_LABEL).equals(l.get(BACKUP_LABEL))) {
                    LOG.warn("removing container {} left by an earlier attempt of this backup", c.getId());
                    remove(docker, c.getId());
                }
            }
        } catch (RuntimeException e) {
            LOG.warn("cannot list leftover backup containers: {}", e.getMessage());
        }
    }

    private static void kill(DockerClient docker, String id) {
        try {
            docker.killContainerCmd(id).exec();
        } catch (NotFoundException | NotModifiedException gone) {
            // already ended
        } catch (RuntimeException e) {
            LOG.warn("cannot kill container {}: {}", id, e.getMessage());
        }
    }

    private static void remove(DockerClient docker, String id) {
        try {
            docker.removeContainerCmd(id).withForce(true).withRemoveVolumes(true).exec();
        } catch (NotFoundException gone) {
            // already removed
        } catch (RuntimeException e) {
            LOG.warn("cannot remove container {} (remove it by hand: docker rm -f {}): {}", id, id, e.getMessage());
        }
    }

    /** Frames arrive on docker-java's thread: stdout into the capture's pipe, stderr into its tail. */
    private static final class Attach extends ResultCallback.Adapter<Frame> {
        private final MetadataCapture capture;
        volatile String error;

        Attach(MetadataCapture capture) {
            this.capture = capture;
        }

        @Override
        public void onNext(Frame frame) {
            StreamType type = frame.getStreamType();
            if (type == StreamType.STDOUT || type == StreamType.RAW) {
                capture.stdout(frame.getPayload());
            } else if (type == StreamType.STDERR) {
                capture.stderr(frame.getPayload());
            }
        }

        @Override
        public void onError(Throwable throwable) {
            error = throwable.toString();
            super.onError(throwable);
        }
    }
}
