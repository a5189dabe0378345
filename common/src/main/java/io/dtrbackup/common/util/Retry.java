package io.dtrbackup.common.util;

import java.time.Duration;
import java.util.concurrent.Callable;
import java.util.function.Predicate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Bounded retries for failures classified as transient, with exponential back-off, logged as
 * "retry n of m". Blocking: for worker threads only.
 */
public final class Retry {
    private static final Logger LOG = LoggerFactory.getLogger(Retry.class);

    private final int maxAttempts;
    private final Duration firstDelay;
    private final Duration maxDelay;

    public Retry(int maxAttempts, Duration firstDelay, Duration maxDelay) {
        if (maxAttempts < 1) {
            throw new IllegalArgumentException("maxAttempts must be >= 1");
        }
        this.maxAttempts = maxAttempts;
        this.firstDelay = firstDelay;
        this.maxDelay = maxDelay;
    }

    public static Retry of(int maxAttempts) {
        return new Retry(maxAttempts, Duration.ofMillis(500), Duration.ofSeconds(8));
    }

    public <T> T call(String what, Callable<T> action, Predicate<Exception> isTransient) {
        for (int attempt = 1; ; attempt++) {
            try {
                return action.call();
            } catch (Exception e) {
                if (attempt >= maxAttempts || !isTransient.test(e)) {
                    throw asRuntime(e);
                }
                long delay = Math.min(firstDelay.toMillis() << (attempt - 1), maxDelay.toMillis());
                LOG.warn("{} failed transiently, retry {} of {} in {} ms: {}", what, attempt, maxAttempts - 1, delay,
                        e.getMessage());
                try {
                    Thread.sleep(delay);
                } catch (InterruptedException ie) {
                    Thread.currentThread().interrupt();
                    throw asRuntime(e);
                }
            }
        }
    }

    public static <T> T unchecked(Callable<T> action) {
        try {
            return action.call();
        } catch (Exception e) {
            throw asRuntime(e);
        }
    }

    private static RuntimeException asRuntime(Exception e) {
        return e instanceof RuntimeException re ? re : new IllegalStateException(e.getMessage(), e);
    }
}
