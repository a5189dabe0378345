package io.dtrbackup.discovery;

/** Discovery cannot go on for this backup; the message is the reason an operator reads (never a secret). */
public final class DiscoveryException extends Exception {
    public DiscoveryException(String reason) {
        super(reason);
    }

    public DiscoveryException(String reason, Throwable cause) {
        super(reason, cause);
    }
}
