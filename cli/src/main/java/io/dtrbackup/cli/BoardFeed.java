package io.dtrbackup.cli;

import io.dtrbackup.contract.events.BackupEvent;
import io.dtrbackup.common.kafka.KafkaSettings;
import io.dtrbackup.common.kafka.TopicFollower;
import io.dtrbackup.common.kafka.TopicReader;
import io.dtrbackup.contract.topics.Topic;
import io.dtrbackup.contract.topics.Topics;
import io.dtrbackup.common.util.Retry;
import java.time.Duration;
import java.util.List;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The board's two readers: one {@link TopicFollower} per topic (no consumer group, nothing
 * committed) that replays its topic from the start and then follows it, feeding
 * {@link BoardState}. A reader that cannot open its topic (broker down, topics not created yet)
 * says so on the page and tries again, 2 s doubling to 30 s; the board itself keeps serving.
 */
final class BoardFeed implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(BoardFeed.class);
    private static final Retry REOPEN = Retry.forever(Duration.ofSeconds(2), Duration.ofSeconds(30));

    private final List<TopicFollower> followers;

    /** @param statusStart where the status topic is read from (the cluster-state topic always from its beginning) */
    BoardFeed(KafkaSettings kafka, BoardState state, TopicReader.Start statusStart) {
        followers = List.of(
                follower(kafka, state, Topics.STATUS, statusStart, state::status),
                follower(kafka, state, Topics.CLUSTER_STATE, TopicReader.BEGINNING, state::clusterState));
        followers.forEach(TopicFollower::start);
    }

    private static TopicFollower follower(KafkaSettings kafka, BoardState state, Topic topic, TopicReader.Start start,
            Consumer<BackupEvent> sink) {
        // A reopened reader replays from the start again: the state's folds ignore what they have seen.
        return new TopicFollower(topic.name(), () -> KafkaAccess.openReader(kafka, topic, start), Runnable::run,
                read -> {
                    if (!read.tombstone()) {
                        sink.accept(read.event());
                    }
                },
                new TopicFollower.Listener() {
                    @Override
                    public void connecting() {
                        state.feed(topic, BoardState.Feed.CONNECTING, null);
                    }

                    @Override
                    public void replaying() {
                        state.feed(topic, BoardState.Feed.REPLAYING, null);
                    }

                    @Override
                    public void live() {
                        state.feed(topic, BoardState.Feed.LIVE, null);
                        LOG.info("board: {} read to its end, following", topic.name());
                    }

                    @Override
                    public void failed(RuntimeException e, long retryInMillis) {
                        String reason = e instanceof CliException ? e.getMessage() : e.getClass().getSimpleName()
                                + (e.getMessage() == null ? "" : ": " + e.getMessage());
                        state.feed(topic, BoardState.Feed.ERROR,
                                reason + " (retrying in " + retryInMillis / 1000 + " s)");
                    }
                },
                REOPEN);
    }

    @Override
    public void close() {
        followers.forEach(TopicFollower::close);
    }
}
