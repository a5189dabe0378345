package io.dtrbackup.metadata;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class RedactionTest {
    private static final char[] PW = "s3cr3t-Pa$$".toCharArray();

    @Test
    void removesThePasswordWhereverItAppears() {
        assertThat(Redaction.redact("FATA[0000] login as admin with s3cr3t-Pa$$ failed (s3cr3t-Pa$$)", PW))
                .isEqualTo("FATA[0000] login as admin with *** failed (***)");
    }

    @Test
    void removesWhatFollowsThePasswordFlagOrEnv() {
        assertThat(Redaction.redact("args: --ucp-password other-secret --debug", PW))
                .isEqualTo("args: --ucp-password *** --debug");
        assertThat(Redaction.redact("args: --ucp-password=\"two words\" x", PW)).isEqualTo("args: --ucp-password=*** x");
        assertThat(Redaction.redact("env UCP_PASSWORD=abc def", PW)).isEqualTo("env UCP_PASSWORD=*** def");
    }

    @Test
    void leavesOrdinaryTextAlone() {
        String text = "INFO[0000] Beginning backup\nFATA[0000] No replica found with id 0123456789ab";
        assertThat(Redaction.redact(text, PW)).isEqualTo(text);
        assertThat(Redaction.redact("", PW)).isEmpty();
    }

    @Test
    void stderrTailKeepsTheEnd() {
        StderrTail tail = new StderrTail(8);
        tail.write("abcdef".getBytes(), 0, 6);
        tail.write("ghijkl".getBytes(), 0, 6);
        assertThat(tail.text()).isEqualTo("efghijkl");
        tail.write("0123456789XYZ".getBytes(), 0, 13);
        assertThat(tail.text()).isEqualTo("56789XYZ");
        assertThat(tail.totalBytes()).isEqualTo(25);
    }
}
