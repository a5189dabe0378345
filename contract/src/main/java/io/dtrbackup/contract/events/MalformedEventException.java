package io.dtrbackup.contract.events;

/** An input record that is not a valid event; {@link #getMessage()} is the reason sent to the dead-letter topic. */
public final class MalformedEventException extends Exception {
    public MalformedEventException(String reason, Throwable cause) {
        super(reason, cause);
    }

    public MalformedEventException(String reason) {
        super(reason);
    }
}
