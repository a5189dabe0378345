package io.dtrbackup.common.archive;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.security.MessageDigest;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class BoundedPipeTest {

    @Test
    void movesEveryByteInOrderBetweenThreads() throws Exception {
        BoundedPipe pipe = new BoundedPipe(3, 8192);
        MessageDigest written = MessageDigest.getInstance("SHA-256");
        CompletableFuture<Long> writer = CompletableFuture.supplyAsync(() -> {
            Random random = new Random(11);
            long total = 0;
            try (OutputStream out = pipe.sink()) {
                for (int i = 0; i < 2000; i++) {
                    byte[] b = new byte[random.nextInt(20_000)];
                    random.nextBytes(b);
                    written.update(b);
                    out.write(b);
                    total += b.length;
                }
                out.write(42);
                written.update((byte) 42);
                total++;
            } catch (IOException e) {
                throw new RuntimeException(e);
            }
            return total;
        });
        MessageDigest read = MessageDigest.getInstance("SHA-256");
        long count = 0;
        try (InputStream in = pipe.source()) {
            byte[] buf = new byte[5000];
            for (int n = in.read(buf); n >= 0; n = in.read(buf)) {
                read.update(buf, 0, n);
                count += n;
            }
        }
        assertThat(count).isEqualTo(writer.get(30, TimeUnit.SECONDS));
        assertThat(read.digest()).isEqualTo(written.digest());
    }

    @Test
    void chunksAreAllocatedOnDemandSoASmallStreamCostsOneChunkAndABigOneNoMoreThanThePipe() throws Exception {
        BoundedPipe small = new BoundedPipe(16, 1 << 20);
        try (var sink = small.sink()) {
            sink.write(new byte[60_000]);
        }
        assertThat(small.source().readAllBytes()).hasSize(60_000);
        assertThat(small.allocatedChunks()).isEqualTo(1);

        BoundedPipe big = new BoundedPipe(4, 4096);
        Thread writer = new Thread(() -> {
            try (var sink = big.sink()) {
                for (int i = 0; i < 1000; i++) {
                    sink.write(new byte[1000]);
                }
            } catch (java.io.IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        });
        writer.start();
        assertThat(big.source().readAllBytes()).hasSize(1_000_000);
        writer.join();
        assertThat(big.allocatedChunks()).isBetween(1, 4);
    }

    @Test
    void aWriterFailureReachesTheReader() throws Exception {
        BoundedPipe pipe = new BoundedPipe(2, 4096);
        pipe.sink().write(new byte[5000]);
        pipe.fail(new IOException("engine went away"));
        assertThatThrownBy(() -> pipe.source().readAllBytes()).isInstanceOf(IOException.class)
                .hasMessageContaining("engine went away");
    }

    @Test
    void aClosedReaderStopsABlockedWriter() throws Exception {
        BoundedPipe pipe = new BoundedPipe(2, 4096);
        CompletableFuture<Void> writer = CompletableFuture.runAsync(() -> {
            try {
                pipe.sink().write(new byte[1 << 20]); // more than the pipe holds: blocks
            } catch (IOException e) {
                throw new RuntimeException(e);
            }
        });
        pipe.source().read(new byte[100]);
        pipe.source().close();
        assertThatThrownBy(() -> writer.get(10, TimeUnit.SECONDS))
                .hasCauseInstanceOf(RuntimeException.class)
                .hasRootCauseInstanceOf(BoundedPipe.ReaderClosedException.class);
    }

    @Test
    void theChunkFaceHandsFilledBuffersOnWithTheirOffsetsAndBoundsTheBuffersInFlight() throws Exception {
        BoundedPipe pipe = new BoundedPipe(3, 4096);
        CompletableFuture<Integer> writer = CompletableFuture.supplyAsync(() -> {
            try {
                for (int i = 0; i < 50; i++) {
                    byte[] b = pipe.buffer();
                    java.util.Arrays.fill(b, (byte) i);
                    pipe.put(b, 10, 100); // bytes 10..109 only
                }
                byte[] unused = pipe.buffer();
                pipe.recycle(unused);
                pipe.end();
            } catch (IOException e) {
                throw new RuntimeException(e);
            }
            return pipe.allocatedChunks();
        });
        byte[] all = pipe.source().readAllBytes();
        assertThat(all).hasSize(50 * 100);
        for (int i = 0; i < 50; i++) {
            assertThat(all[i * 100]).isEqualTo((byte) i);
            assertThat(all[i * 100 + 99]).isEqualTo((byte) i);
        }
        assertThat(writer.get(10, TimeUnit.SECONDS)).isBetween(1, 3);
    }

    @Test
    void drainLetsAWriterThatMustReadToTheEndFinishWithoutAReader() throws Exception {
        BoundedPipe pipe = new BoundedPipe(2, 4096);
        CompletableFuture<Integer> writer = CompletableFuture.supplyAsync(() -> {
            int chunks = 0;
            try {
                for (; chunks < 1000; chunks++) { // far more than the pipe holds
                    pipe.put(pipe.buffer(), 0, 4096);
                }
                pipe.end();
            } catch (IOException e) {
                throw new RuntimeException(e);
            }
            return chunks;
        });
        pipe.source().read(new byte[10]);
        pipe.drain(writer::isDone);
        assertThat(writer.get(10, TimeUnit.SECONDS)).isEqualTo(1000);
    }

    @Test
    void theReaderSeesTheWritersOwnFailureAsTheCause() {
        BoundedPipe pipe = new BoundedPipe(2, 4096);
        IOException storeFailed = new IOException("connection reset");
        pipe.fail(storeFailed);
        assertThatThrownBy(() -> pipe.source().read(new byte[1]))
                .isInstanceOf(BoundedPipe.WriterFailedException.class).hasCause(storeFailed);
    }
}
