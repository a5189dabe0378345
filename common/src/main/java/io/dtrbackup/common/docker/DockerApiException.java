package io.dtrbackup.common.docker;

import java.io.IOException;

/** The Docker engine answered with an error status, or could not be reached. */
public class DockerApiException extends IOException {
    private final int status;

    public DockerApiException(String message, int status) {
        super(message);
        this.status = status;
    }

    public DockerApiException(String message, Throwable cause) {
        super(message, cause);
        this.status = -1;
    }

    /** The HTTP status, or -1 when there was no answer. */
    public int status() {
        return status;
    }

    public boolean isNotFound() {
        return status == 404;
    }
}
