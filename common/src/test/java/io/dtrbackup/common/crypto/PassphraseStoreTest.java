package io.dtrbackup.common.crypto;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowable;

import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import io.dtrbackup.contract.config.ConfigException;
import io.dtrbackup.testsupport.SecretScan;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

class PassphraseStoreTest {
    @TempDir
    Path dir;

    /** Asserts that none of the secrets, in any form SecretScan knows, is in what {@code what} names. */
    private static void assertNoSecret(String text, String what, String... secrets) {
        assertThat(SecretScan.foundIn(text, secrets)).as("a passphrase (bare, base64 or hex) in %s: %s", what, text)
                .isEmpty();
    }

    @Test
    void readsOneFileUnderItsKeyId() throws IOException {
        String secret = SecretScan.secret("one");
        Path f = Files.writeString(dir.resolve("p"), secret + "\n");
        PassphraseStore store = PassphraseStore.fromFile(f, "k2026");
        assertThat(store.activeKeyId()).isEqualTo("k2026");
        assertThat(store.activePassphrase()).containsExactly(secret.toCharArray());
        assertThat(store.toString()).contains("k2026");
        assertNoSecret(store.toString(), "toString()", secret);
    }

    @Test
    void readsADirectoryOfKeyFilesIgnoringHiddenEntries() throws IOException {
        String old = SecretScan.secret("old");
        String current = SecretScan.secret("new");
        String ignored = SecretScan.secret("ignored");
        Files.writeString(dir.resolve("2025-q4"), old);
        Files.writeString(dir.resolve("2026-q1"), current + "\r\n");
        Files.createDirectories(dir.resolve("..2026_01_01_00_00_00.123"));
        Files.writeString(dir.resolve(".hidden"), "x");
        // Not a key ID: skipped with a warning that names the file, never its content.
        Files.writeString(dir.resolve("not a key id"), ignored);
        ListAppender<ILoggingEvent> log = new ListAppender<>();
        ch.qos.logback.classic.Logger logger = (ch.qos.logback.classic.Logger) LoggerFactory.getLogger(
                PassphraseStore.class);
        log.start();
        logger.addAppender(log);
        PassphraseStore store;
        try {
            store = PassphraseStore.fromDirectory(dir, "2026-q1");
        } finally {
            logger.detachAppender(log);
        }
        assertThat(store.keyIds()).containsExactly("2025-q4", "2026-q1");
        assertThat(store.activePassphrase()).containsExactly(current.toCharArray());
        assertThat(store.passphrase("2025-q4")).containsExactly(old.toCharArray());
        String logged = log.list.stream().map(ILoggingEvent::getFormattedMessage).collect(Collectors.joining("\n"));
        assertThat(logged).contains("not a key id");
        assertNoSecret(logged, "the log", old, current, ignored);

        Throwable unknown = catchThrowable(() -> store.passphrase("other"));
        assertThat(unknown).hasMessageContaining("no passphrase for key ID 'other'");
        assertNoSecret(SecretScan.textOf(unknown), "the unknown key ID's exception", old, current, ignored);
        assertNoSecret(store.toString(), "toString()", old, current, ignored);
    }

    @Test
    void handsOutCopies() {
        PassphraseStore store = PassphraseStore.of("a", Map.of("a", "abc".toCharArray()));
        char[] p = store.activePassphrase();
        java.util.Arrays.fill(p, 'x');
        assertThat(store.activePassphrase()).containsExactly('a', 'b', 'c');
    }

    @Test
    void refusesToConstructWithoutAPassphrase() throws IOException {
        assertThatThrownBy(() -> PassphraseStore.fromDirectory(dir, null)).isInstanceOf(ConfigException.class)
                .hasMessageContaining("refuses");
        assertThatThrownBy(() -> PassphraseStore.of("a", Map.of())).isInstanceOf(ConfigException.class);
        Path empty = Files.writeString(dir.resolve("empty"), "\n");
        assertThatThrownBy(() -> PassphraseStore.fromFile(empty, "k")).isInstanceOf(ConfigException.class)
                .hasMessageContaining("empty");
        assertThatThrownBy(() -> PassphraseStore.fromFile(dir.resolve("missing"), "k"))
                .isInstanceOf(ConfigException.class);
    }

    @Test
    void refusesAmbiguousOrUnknownActiveKeyAndMultiLinePassphrases() throws IOException {
        String a = SecretScan.secret("pa");
        String b = SecretScan.secret("pb");
        Files.writeString(dir.resolve("a"), a);
        Files.writeString(dir.resolve("b"), b);
        Throwable ambiguous = catchThrowable(() -> PassphraseStore.fromDirectory(dir, null));
        assertThat(ambiguous).hasMessageContaining("ACTIVE_KEY_ID");
        assertNoSecret(SecretScan.textOf(ambiguous), "the ambiguous-key exception", a, b);
        Throwable unknown = catchThrowable(() -> PassphraseStore.fromDirectory(dir, "c"));
        assertThat(unknown).hasMessageContaining("'c' has no passphrase");
        assertNoSecret(SecretScan.textOf(unknown), "the unknown-active-key exception", a, b);

        String line1 = SecretScan.secret("line1");
        String line2 = SecretScan.secret("line2");
        Path two = Files.writeString(dir.resolve("two"), line1 + "\n" + line2 + "\n");
        Throwable multiLine = catchThrowable(() -> PassphraseStore.fromFile(two, "k"));
        assertThat(multiLine).hasMessageContaining("more than one line");
        assertNoSecret(SecretScan.textOf(multiLine), "the multi-line exception", line1, line2, line1 + "\n" + line2);
        Throwable inMemory = catchThrowable(() -> PassphraseStore.of("k", Map.of("k", (line1 + "\r" + line2)
                .toCharArray())));
        assertThat(inMemory).hasMessageContaining("more than one line");
        assertNoSecret(SecretScan.textOf(inMemory), "the multi-line exception", line1, line2);
    }
}
