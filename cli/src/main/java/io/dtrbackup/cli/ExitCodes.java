package io.dtrbackup.cli;

/**
 * The CLI's exit codes, so scripts and CI jobs can branch on how a backup ended. Documented in
 * docs/operations.md; picocli's usage errors are moved to {@link #USAGE} so they do not collide
 * with {@link #FAILED}.
 */
public final class ExitCodes {
    /** The command did what was asked; for backup --wait: the backup COMPLETED. */
    public static final int OK = 0;
    /** The command could not do its job (connection, configuration, I/O); the message says why. */
    public static final int ERROR = 1;
    /** The backup FAILED or was REJECTED, or a re-verification found problems. */
    public static final int FAILED = 2;
    /** The backup PARTIALLY_FAILED: metadata verified, images not. */
    public static final int PARTIALLY_FAILED = 3;
    /** Waiting gave up before the backup ended (it may still finish: watch it). */
    public static final int TIMEOUT = 4;
    /** No Docker engine answers (demo): run deploy/setup-docker-engine.sh. */
    public static final int NO_DOCKER = 5;
    /** A fetched artifact did not pass its integrity or SHA-256 check; nothing was released. */
    public static final int INTEGRITY = 6;
    /** Bad command line (EX_USAGE). */
    public static final int USAGE = 64;

    private ExitCodes() {
    }
}
