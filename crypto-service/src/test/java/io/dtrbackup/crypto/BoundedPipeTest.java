package io.dtrbackup.crypto;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.io.OutputStream;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class BoundedPipeTest {
    @Test
    void movesBytesInOrderThroughABoundedBuffer() throws Exception {
        BoundedPipe pipe = new BoundedPipe(1000, 3);
        byte[] data = TestArtifacts.random(1_234_567, 1);
        CompletableFuture<Void> writer = CompletableFuture.runAsync(() -> {
            try (OutputStream out = pipe.sink()) {
                for (int off = 0; off < data.length; off += 777) {
                    out.write(data, off, Math.min(777, data.length - off));
                }
            } catch (IOException e) {
                throw new IllegalStateException(e);
            }
        });
        assertThat(pipe.source().readAllBytes()).isEqualTo(data);
        writer.get(10, TimeUnit.SECONDS);
    }

    @Test
    void aWriterFailureReachesTheReaderInsteadOfEof() throws Exception {
        BoundedPipe pipe = new BoundedPipe(1000, 3);
        pipe.sink().write(new byte[1500]);
        pipe.fail(new IOException("plaintext mismatch"));
        assertThatThrownBy(() -> pipe.source().readAllBytes()).isInstanceOf(IOException.class)
                .hasMessageContaining("plaintext mismatch");
    }

    @Test
    void aReaderThatStopsStopsTheWriter() {
        BoundedPipe pipe = new BoundedPipe(1000, 2);
        pipe.abortReading();
        assertThatThrownBy(() -> pipe.sink().write(new byte[5000])).isInstanceOf(IOException.class)
                .hasMessageContaining("stopped reading");
    }
}
