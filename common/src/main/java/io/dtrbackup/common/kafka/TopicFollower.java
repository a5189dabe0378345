package io.dtrbackup.common.kafka;

import io.dtrbackup.common.util.Retry;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Executor;
import java.util.function.Consumer;
import java.util.function.Supplier;
import org.apache.kafka.common.errors.WakeupException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reads a topic with a {@link TopicReader} for the life of its owner, on a thread of its own, and
 * hands every record to a sink: how a view replays its topic and then keeps current. A reader
 * that fails (broker unreachable, topic not created yet) is opened again after a back-off and
 * reads from its start again, which is safe because views only move forward.
 *
 * <p>Records and the completion of {@link #caughtUp()} go through one executor, in order: with
 * a Vert.x context's {@code runOnContext} as that executor, a verticle sees every record before
 * the completion that follows it. Only the follower's thread touches the reader.
 */
public final class TopicFollower implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(TopicFollower.class);
    private static final Duration POLL = Duration.ofMillis(200);

    /** What the follower is doing, for a view that shows it; called on the follower's thread. */
    public interface Listener {
        /** About to open the reader. */
        default void connecting() {
        }

        /** The reader is open and replays the topic. */
        default void replaying() {
        }

        /** Everything the topic held at open has been handed over; records from now on are new. */
        default void live() {
        }

        /** Reading failed; the reader is opened again in {@code retryInMillis}. */
        default void failed(RuntimeException failure, long retryInMillis) {
        }
    }

    private final String topic;
    private final Supplier<TopicReader> opener;
    private final Executor handoff;
    private final Consumer<TopicReader.Read> sink;
    private final Listener listener;
    private final Retry backoff;
    private final ConcurrentLinkedQueue<CompletableFuture<Void>> newWaiters = new ConcurrentLinkedQueue<>();
    private volatile boolean running = true;
    private volatile TopicReader reader;
    private Thread thread;

    /**
     * @param opener opens the reader (and says where it starts), again after each failure
     * @param handoff runs the sink and the completions of {@link #caughtUp()}, in order
     * @param backoff the wait before each reopening: its {@link Retry#delayMillis} by consecutive failures
     */
    public TopicFollower(String topic, Supplier<TopicReader> opener, Executor handoff, Consumer<TopicReader.Read> sink,
            Listener listener, Retry backoff) {
        this.topic = topic;
        this.opener = opener;
        this.handoff = handoff;
        this.sink = sink;
        this.listener = listener;
        this.backoff = backoff;
    }

    /** Starts following; completes once the topic's current content has been handed over. */
    public CompletableFuture<Void> start() {
        CompletableFuture<Void> loaded = caughtUp();
        thread = new Thread(this::run, "follow-" + topic);
        thread.setDaemon(true);
        thread.start();
        return loaded;
    }

    /**
     * Completes when everything in the topic now has been handed over, so a decision taken after
     * it has seen everything written before it (including what another instance wrote); fails
     * when the reader fails or stops first.
     */
    public CompletableFuture<Void> caughtUp() {
        CompletableFuture<Void> waiter = new CompletableFuture<>();
        if (!running) {
            waiter.completeExceptionally(new IllegalStateException("the reader of " + topic + " is stopped"));
        } else {
            newWaiters.add(waiter);
        }
        return waiter;
    }

    /** Stops the thread; blocking (joins it). */
    @Override
    public void close() {
        running = false;
        TopicReader r = reader;
        if (r != null) {
            r.wakeup();
        }
        if (thread != null) {
            thread.interrupt(); // ends a back-off wait
            try {
                thread.join(10_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        failAll(new ArrayList<>(newWaiters), "the reader of " + topic + " stopped");
    }

    private record Waiter(CompletableFuture<Void> future, TopicReader.EndMark target) {
    }

    private void run() {
        List<Waiter> waiters = new ArrayList<>();
        int failures = 0;
        while (running) {
            listener.connecting();
            try (TopicReader r = opener.get()) {
                reader = r;
                listener.replaying();
                boolean live = false;
                while (running) {
                    for (TopicReader.Read read : r.poll(POLL)) {
                        handoff.execute(() -> sink.accept(read));
                    }
                    for (CompletableFuture<Void> f; (f = newWaiters.poll()) != null; ) {
                        waiters.add(new Waiter(f, r.endNow()));
                    }
                    for (Iterator<Waiter> it = waiters.iterator(); it.hasNext(); ) {
                        Waiter w = it.next();
                        if (r.reached(w.target())) {
                            it.remove();
                            // After the records handed over above: the executor keeps the order.
                            handoff.execute(() -> w.future().complete(null));
                        }
                    }
                    if (!live && r.caughtUp()) {
                        live = true;
                        listener.live();
                    }
                    failures = 0;
                }
            } catch (WakeupException e) {
                // close() asked us to stop
            } catch (RuntimeException e) {
                if (!running) {
                    break;
                }
                failures++;
                long delay = backoff.delayMillis(failures);
                LOG.warn("reading {} failed (attempt {}), reading it again from its start in {} ms: {}", topic, failures,
                        delay, e.toString());
                listener.failed(e, delay);
                failAll(waiters.stream().map(Waiter::future).toList(), "reading " + topic + " failed: " + e);
                waiters.clear();
                if (!sleep(delay)) {
                    break;
                }
            } finally {
                reader = null;
            }
        }
        failAll(waiters.stream().map(Waiter::future).toList(), "the reader of " + topic + " stopped");
    }

    private void failAll(List<CompletableFuture<Void>> futures, String why) {
        for (CompletableFuture<Void> f : futures) {
            handoff.execute(() -> f.completeExceptionally(new IllegalStateException(why)));
        }
    }

    private boolean sleep(long millis) {
        try {
            Thread.sleep(millis); // back-off between attempts to reach the broker
            return running;
        } catch (InterruptedException e) {
            return false;
        }
    }
}
