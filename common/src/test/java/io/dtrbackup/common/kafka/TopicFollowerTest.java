package io.dtrbackup.common.kafka;

import static org.assertj.core.api.Assertions.assertThat;

import io.dtrbackup.contract.events.BackupEvent;
import io.dtrbackup.contract.events.BackupFailed;
import io.dtrbackup.contract.events.EventCodec;
import io.dtrbackup.common.util.Retry;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.MockConsumer;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.Node;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The follower's promises, on kafka-clients' MockConsumer: caught up only after what was there,
 * in order; opened again after a failure.
 */
class TopicFollowerTest {
    private static final String TOPIC = "dtr-backup.status";
    private static final TopicPartition P0 = new TopicPartition(TOPIC, 0);
    private static final Retry AT_ONCE = Retry.forever(Duration.ofMillis(1), Duration.ofMillis(1));

    /** One thread, like a Vert.x context: records and completions are seen in the order they were handed over. */
    private final ExecutorService context = Executors.newSingleThreadExecutor();
    private final List<String> seen = new CopyOnWriteArrayList<>();

    @AfterEach
    void stop() {
        context.shutdownNow();
    }

    @Test
    void startCompletesOnlyAfterEveryRecordThatWasThereAndCaughtUpAfterEveryLaterOne() throws Exception {
        MockConsumer<String, byte[]> consumer = consumer(3);
        try (TopicFollower follower = follower(() -> consumer)) {
            follower.start().thenRun(() -> seen.add("loaded")).get(10, TimeUnit.SECONDS);
            consumer.addRecord(record(3)); // written while the follower polls, before the caught-up check
            consumer.updateEndOffsets(Map.of(P0, 4L));
            follower.caughtUp().thenRun(() -> seen.add("caught up")).get(10, TimeUnit.SECONDS);
        }
        context.submit(() -> { }).get(10, TimeUnit.SECONDS);
        assertThat(seen).containsExactly("bk-0", "bk-1", "bk-2", "loaded", "bk-3", "caught up");
    }

    @Test
    void aFailedReaderIsOpenedAgainAndReadsFromItsStartAgain() throws Exception {
        AtomicInteger opened = new AtomicInteger();
        List<String> failures = new CopyOnWriteArrayList<>();
        try (TopicFollower follower = new TopicFollower(TOPIC, () -> {
            MockConsumer<String, byte[]> consumer = consumer(2);
            if (opened.incrementAndGet() == 1) {
                consumer.setPollException(new KafkaException("broker gone"));
            }
            return TopicReader.on(consumer, TOPIC, TopicReader.BEGINNING, Set.of());
        }, context, read -> seen.add(read.key()), new TopicFollower.Listener() {
            @Override
            public void failed(RuntimeException failure, long retryInMillis) {
                failures.add(failure.getMessage());
            }
        }, AT_ONCE)) {
            // the reader failed before it read anything: start() is answered by the reopened one
            follower.start().get(10, TimeUnit.SECONDS);
        }
        assertThat(opened).hasValue(2);
        assertThat(failures).containsExactly("broker gone");
        assertThat(seen).containsExactly("bk-0", "bk-1");
    }

    private TopicFollower follower(java.util.function.Supplier<MockConsumer<String, byte[]>> consumers) {
        return new TopicFollower(TOPIC, () -> TopicReader.on(consumers.get(), TOPIC, TopicReader.BEGINNING, Set.of()),
                context, read -> seen.add(read.key()), new TopicFollower.Listener() { }, AT_ONCE);
    }

    private static MockConsumer<String, byte[]> consumer(int records) {
        MockConsumer<String, byte[]> consumer = new MockConsumer<>("earliest");
        consumer.updatePartitions(TOPIC, List.of(new PartitionInfo(TOPIC, 0, Node.noNode(), new Node[0], new Node[0])));
        consumer.updateBeginningOffsets(Map.of(P0, 0L));
        consumer.updateEndOffsets(Map.of(P0, (long) records));
        consumer.schedulePollTask(() -> {
            for (int i = 0; i < records; i++) {
                consumer.addRecord(record(i));
            }
        });
        return consumer;
    }

    private static ConsumerRecord<String, byte[]> record(int offset) {
        BackupEvent event = BackupFailed.of("bk-" + offset, "prod-eu-1", "discovery", "test");
        return new ConsumerRecord<>(TOPIC, 0, offset, "bk-" + offset, EventCodec.encode(event));
    }
}
