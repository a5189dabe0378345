package io.dtrbackup.common.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import io.dtrbackup.contract.events.ArtifactStaged;
import io.dtrbackup.contract.events.BackupEvent;
import io.dtrbackup.contract.events.EventCodec;
import io.dtrbackup.contract.events.SampleEvents;
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

class FinishedWorkRecordTest {
    private static final String BUCKET = "staging";
    private static final String KEY = "prod-eu-1/bk-1/metadata.staged.json";

    private final InMemoryObjectStore store = new InMemoryObjectStore();
    private final ListAppender<ILoggingEvent> log = new ListAppender<>();
    private final Logger logger = (Logger) LoggerFactory.getLogger(FinishedWorkRecord.class);

    @BeforeEach
    void capture() {
        store.ensureBucket(BUCKET);
        log.start();
        logger.addAppender(log);
    }

    @AfterEach
    void release() {
        logger.detachAppender(log);
    }

    @Test
    void noRecordMeansTheWorkIsToBeDone() {
        assertThat(FinishedWorkRecord.readEvent(store, BUCKET, KEY, ArtifactStaged.class)).isEmpty();
        assertThat(log.list).isEmpty();
    }

    @Test
    void aReadableRecordIsReturned() {
        ArtifactStaged staged = sample();
        put(EventCodec.encode(staged));
        assertThat(FinishedWorkRecord.readEvent(store, BUCKET, KEY, ArtifactStaged.class)).contains(staged);
    }

    @Test
    void anUnreadableRecordIsLoggedWithItsKeyAndTheWorkRedone() {
        byte[] whole = EventCodec.encode(sample());
        put(java.util.Arrays.copyOf(whole, whole.length / 2)); // cut off, as by a crash of a foreign writer

        Optional<ArtifactStaged> read = FinishedWorkRecord.readEvent(store, BUCKET, KEY, ArtifactStaged.class);

        assertThat(read).isEmpty();
        assertThat(log.list).singleElement().satisfies(e -> {
            assertThat(e.getLevel()).isEqualTo(Level.WARN);
            assertThat(e.getFormattedMessage()).contains(BUCKET + "/" + KEY).contains("doing the work again");
        });
    }

    @Test
    void aRecordOfAnotherShapeIsUnreadableToo() {
        put("{\"not\":\"a record\"}".getBytes(StandardCharsets.UTF_8));
        assertThat(FinishedWorkRecord.read(store, BUCKET, KEY, json -> {
            throw new IllegalArgumentException("no verified field");
        })).isEmpty();
        assertThat(log.list).singleElement().extracting(ILoggingEvent::getLevel).isEqualTo(Level.WARN);
    }

    @Test
    void aFailingStoreIsAStoreFailureNotAnUnreadableRecord() {
        put(EventCodec.encode(sample()));
        store.setUnavailable(true);
        assertThatThrownBy(() -> FinishedWorkRecord.readEvent(store, BUCKET, KEY, ArtifactStaged.class))
                .isInstanceOf(ObjectStoreException.class);
        assertThat(log.list).isEmpty();
    }

    private void put(byte[] json) {
        store.put(BUCKET, KEY, new ByteArrayInputStream(json), json.length, Map.of(), "application/json");
    }

    private static ArtifactStaged sample() {
        for (BackupEvent e : SampleEvents.all()) {
            if (e instanceof ArtifactStaged s) {
                return s;
            }
        }
        throw new IllegalStateException("no ArtifactStaged sample");
    }
}
