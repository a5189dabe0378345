package io.dtrbackup.cli;

/** A failure the user can act on: the message says what went wrong and what to do. No stack trace is shown. */
public final class CliException extends RuntimeException {
    private final int exitCode;

    public CliException(int exitCode, String message) {
        super(message);
        this.exitCode = exitCode;
    }

    public CliException(int exitCode, String message, Throwable cause) {
        super(message, cause);
        this.exitCode = exitCode;
    }

    public CliException(String message, Throwable cause) {
        this(ExitCodes.ERROR, message, cause);
    }

    public CliException(String message) {
        this(ExitCodes.ERROR, message);
    }

    public int exitCode() {
        return exitCode;
    }
}
