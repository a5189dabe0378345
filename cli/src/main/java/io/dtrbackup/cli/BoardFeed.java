package io.dtrbackup.cli;

import io.dtrbackup.common.events.BackupEvent;
import io.dtrbackup.common.kafka.KafkaSettings;
import io.dtrbackup.common.topics.Topic;
import io.dtrbackup.common.topics.Topics;
import java.time.Duration;
import java.util.List;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The board's two readers: one thread per topic, each a {@link TopicReader} (no consumer group,
 * nothing committed) that replays its topic from the start and then follows it, feeding
 * {@link BoardState}. A reader that cannot open its topic (broker down, topics not created yet)
 * says so on the page and tries again, 2 s doubling to 30 s; the board itself keeps serving.
 */
final class BoardFeed implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(BoardFeed.class);
    private static final Duration POLL = Duration.ofMillis(500);
    private static final long FIRST_RETRY_MS = 2_000;
    private static final long MAX_RETRY_MS = 30_000;

    private final List<Thread> threads;
    private volatile boolean running = true;

    /** @param statusStart where the status topic is read from (the cluster-state topic always from its beginning) */
    BoardFeed(KafkaSettings kafka, BoardState state, TopicReader.Start statusStart) {
        threads = List.of(
                reader(kafka, state, Topics.STATUS, statusStart, state::status),
                reader(kafka, state, Topics.CLUSTER_STATE, TopicReader.BEGINNING, state::clusterState));
        threads.forEach(Thread::start);
    }

    private Thread reader(KafkaSettings kafka, BoardState state, Topic topic, TopicReader.Start start,
            Consumer<BackupEvent> sink) {
        Thread t = new Thread(() -> {
            long retryMs = FIRST_RETRY_MS;
            while (running) {
                state.feed(topic, BoardState.Feed.CONNECTING, null);
                // A reopened reader replays from the start again: the state's folds ignore what they have seen.
                try (TopicReader reader = TopicReader.open(kafka, topic, start)) {
                    state.feed(topic, BoardState.Feed.REPLAYING, null);
                    boolean live = false;
                    while (running) {
                        for (BackupEvent e : reader.poll(POLL)) {
                            sink.accept(e);
                        }
                        if (!live && reader.caughtUp()) {
                            live = true;
                            state.feed(topic, BoardState.Feed.LIVE, null);
                            LOG.info("board: {} read to its end, following", topic.name());
                        }
                    }
                    return;
                } catch (RuntimeException e) {
                    if (!running) {
                        return;
                    }
                    String reason = e instanceof CliException ? e.getMessage() : e.getClass().getSimpleName()
                            + (e.getMessage() == null ? "" : ": " + e.getMessage());
                    state.feed(topic, BoardState.Feed.ERROR, reason + " (retrying in " + retryMs / 1000 + " s)");
                    LOG.warn("board: reading {} failed, retrying in {} ms: {}", topic.name(), retryMs, reason);
                }
                try {
                    Thread.sleep(retryMs); // back-off between attempts to reach the broker, not test timing
                } catch (InterruptedException e) {
                    return;
                }
                retryMs = Math.min(MAX_RETRY_MS, retryMs * 2);
            }
        }, "dtr-backup-board-" + topic.name());
        t.setDaemon(true);
        return t;
    }

    @Override
    public void close() {
        running = false;
        for (Thread t : threads) {
            t.interrupt();
        }
        for (Thread t : threads) {
            try {
                t.join(5_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }
}
