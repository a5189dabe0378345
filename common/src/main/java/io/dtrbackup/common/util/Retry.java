package io.dtrbackup.common.util;

import java.time.Duration;
import java.util.concurrent.Callable;
import java.util.function.Predicate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Bounded retries for failures classified as transient, with exponential back-off, logged as
 * "retry n of m". {@link #call} blocks (worker threads only); code that retries asynchronously
 * (on timers) takes the same schedule from {@link #delayMillis} and the same bound from
 * {@link #exhausted}.
 */
public final class Retry {
    private static final Logger LOG = LoggerFactory.getLogger(Retry.class);
    /** Doublings stop here, so the delay never overflows however many attempts are allowed. */
    private static final int MAX_DOUBLINGS = 10;

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

    /** Attempts without a bound, for what has nothing to fall back to; only the delay is bounded. */
    public static Retry forever(Duration firstDelay, Duration maxDelay) {
        return new Retry(Integer.MAX_VALUE, firstDelay, maxDelay);
    }

    /** The wait after failed attempt {@code attempt} (1-based): the first delay, doubling, at most the maximum. */
    public long delayMillis(int attempt) {
        long delay = firstDelay.toMillis() << Math.min(Math.max(attempt, 1) - 1, MAX_DOUBLINGS);
        return Math.min(delay, maxDelay.toMillis());
    }

    /** True when attempt {@code attempt} (1-based) was the last one allowed. */
    public boolean exhausted(int attempt) {
        return attempt >= maxAttempts;
    }

    /** How many retries follow the first attempt: the m of "retry n of m". */
    public int retries() {
        return maxAttempts - 1;
    }

    /**
     * Runs {@code action} until it succeeds, fails with an exception {@code isTransient} rejects, or
     * the attempts run out; then throws the last exception (checked ones wrapped). Interrupted while
     * waiting, it throws the last exception with the thread's interrupt flag set.
     */
    public <T> T call(String what, Callable<T> action, Predicate<Exception> isTransient) {
        for (int attempt = 1; ; attempt++) {
            try {
                return action.call();
            } catch (Exception e) {
                if (exhausted(attempt) || !isTransient.test(e)) {
                    throw asRuntime(e);
                }
                long delay = delayMillis(attempt);
                LOG.warn("{} failed transiently, retry {} of {} in {} ms: {}", what, attempt, retries(), delay,
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
