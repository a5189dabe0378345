package io.dtrbackup.common.crypto;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.dtrbackup.common.config.ConfigException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PassphraseStoreTest {
    @TempDir
    Path dir;

    @Test
    void readsOneFileUnderItsKeyId() throws IOException {
        Path f = Files.writeString(dir.resolve("p"), "s3cret-one\n");
        PassphraseStore store = PassphraseStore.fromFile(f, "k2026");
        assertThat(store.activeKeyId()).isEqualTo("k2026");
        assertThat(store.activePassphrase()).containsExactly("s3cret-one".toCharArray());
        assertThat(store.toString()).contains("k2026").doesNotContain("s3cret");
    }

    @Test
    void readsADirectoryOfKeyFilesIgnoringHiddenEntries() throws IOException {
        Files.writeString(dir.resolve("2025-q4"), "old-pass");
        Files.writeString(dir.resolve("2026-q1"), "new-pass\r\n");
        Files.createDirectories(dir.resolve("..2026_01_01_00_00_00.123"));
        Files.writeString(dir.resolve(".hidden"), "x");
        PassphraseStore store = PassphraseStore.fromDirectory(dir, "2026-q1");
        assertThat(store.keyIds()).containsExactly("2025-q4", "2026-q1");
        assertThat(store.activePassphrase()).containsExactly("new-pass".toCharArray());
        assertThat(store.passphrase("2025-q4")).containsExactly("old-pass".toCharArray());
        assertThatThrownBy(() -> store.passphrase("other")).hasMessageContaining("no passphrase for key ID 'other'")
                .hasMessageNotContaining("pass\"");
        assertThat(store.toString()).doesNotContain("old-pass").doesNotContain("new-pass");
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
        Files.writeString(dir.resolve("a"), "pa");
        Files.writeString(dir.resolve("b"), "pb");
        assertThatThrownBy(() -> PassphraseStore.fromDirectory(dir, null)).hasMessageContaining("ACTIVE_KEY_ID");
        assertThatThrownBy(() -> PassphraseStore.fromDirectory(dir, "c")).hasMessageContaining("'c' has no passphrase");
        Path two = Files.writeString(dir.resolve("two"), "line1-secret\nline2\n");
        assertThatThrownBy(() -> PassphraseStore.fromFile(two, "k")).hasMessageContaining("more than one line")
                .hasMessageNotContaining("line1-secret");
    }
}
