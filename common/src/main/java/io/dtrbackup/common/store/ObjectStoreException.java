package io.dtrbackup.common.store;

/**
 * An object-store call failed. {@link #isTransient()} says whether trying again may help (the
 * store unreachable, a 5xx, a throttle) or not (access denied, no such bucket, bad request).
 */
public final class ObjectStoreException extends RuntimeException {
    private final boolean transientFailure;

    public ObjectStoreException(String message, boolean transientFailure, Throwable cause) {
        super(message, cause);
        this.transientFailure = transientFailure;
    }

    public boolean isTransient() {
        return transientFailure;
    }
}
