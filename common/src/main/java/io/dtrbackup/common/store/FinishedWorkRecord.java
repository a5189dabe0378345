package io.dtrbackup.common.store;

import io.dtrbackup.contract.layout.BackupLayout;
import io.dtrbackup.contract.events.BackupEvent;
import io.dtrbackup.contract.events.EventCodec;
import java.io.IOException;
import java.io.InputStream;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reads the record a stage writes once its work for an artifact is done (keys from
 * {@link BackupLayout}: {@code *.staged.json}, {@code *.gpg.json}, {@code *.verification.json}),
 * which a redelivered event checks before doing the work again. One policy for every stage:
 *
 * <ul>
 *   <li>no record: empty, the work is done;
 *   <li>the store fails while the record is read: {@link ObjectStoreException} (transient when the
 *       body broke off), handled as any other failure of that store; a stage that cannot read its
 *       bucket could not write its output there either;
 *   <li>a record that does not decode (truncated, damaged, from a foreign writer): logged at WARN
 *       with its key, and empty, so the stage redoes the work and writes the record again.
 * </ul>
 *
 * <p>Redoing is safe in every stage that reads such a record: their outputs are keyed
 * deterministically and written whole (multipart uploads) and each record is written only after
 * its output, so redoing replaces the output with an equivalent one and then the record.
 */
public final class FinishedWorkRecord {
    private static final Logger LOG = LoggerFactory.getLogger(FinishedWorkRecord.class);

    /** Turns a record's bytes into its value; any exception means the record is unreadable. */
    @FunctionalInterface
    public interface Decoder<T> {
        T decode(byte[] json) throws Exception;
    }

    private FinishedWorkRecord() {
    }

    /** The record of an event type (the stage's output event as it was published). */
    public static <T extends BackupEvent> Optional<T> readEvent(ObjectStore store, String bucket, String key,
            Class<T> type) {
        return read(store, bucket, key, json -> EventCodec.decode(json, type));
    }

    /** The record at {@code bucket}/{@code key}, if there is a readable one: see the class comment. */
    public static <T> Optional<T> read(ObjectStore store, String bucket, String key, Decoder<T> decoder) {
        if (!store.exists(bucket, key)) {
            return Optional.empty();
        }
        byte[] json;
        try (InputStream in = store.get(bucket, key)) {
            json = in.readAllBytes();
        } catch (IOException e) {
            throw new ObjectStoreException("reading " + bucket + "/" + key + " failed: " + e.getMessage(), true, e);
        }
        try {
            return Optional.ofNullable(decoder.decode(json));
        } catch (Exception e) {
            LOG.warn("finished-work record {}/{} is unreadable ({}): doing the work again and rewriting the record",
                    bucket, key, e.getMessage());
            return Optional.empty();
        }
    }
}
