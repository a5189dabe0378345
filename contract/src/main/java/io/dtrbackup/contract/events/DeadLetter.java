package io.dtrbackup.contract.events;

import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.nio.ByteBuffer;
import java.time.Instant;
import java.util.Base64;

/**
 * What lands on {@code dtr-backup.dead-letter}: the original record, untouched, plus why it
 * could not be processed and where it came from, so nothing is lost and it can be replayed.
 *
 * @param value the original value as UTF-8 text, or null when it was not valid UTF-8
 * @param valueBase64 the original value in base64 when it was not valid UTF-8
 */
public record DeadLetter(
        String service, String sourceTopic, int partition, long offset, String key, String value,
        String valueBase64, String reason, Instant occurredAt) {

    public static DeadLetter of(String service, String topic, int partition, long offset, String key,
            byte[] value, String reason) {
        String text = null;
        String base64 = null;
        if (value != null) {
            try {
                text = StandardCharsets.UTF_8.newDecoder().decode(ByteBuffer.wrap(value)).toString();
            } catch (CharacterCodingException e) {
                base64 = Base64.getEncoder().encodeToString(value);
            }
        }
        return new DeadLetter(service, topic, partition, offset, key, text, base64, reason, Instant.now());
    }
}
