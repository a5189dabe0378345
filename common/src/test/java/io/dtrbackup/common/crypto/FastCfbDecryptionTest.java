package io.dtrbackup.common.crypto;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.dtrbackup.common.crypto.OpenPgpException.Reason;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Instant;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.Random;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The fast CFB path against Bouncy Castle's path of the same decryptor, on gpg's and
 * crypto-service's output; and the dispatch between them ({@link OpenPgpDecryptor#decrypt}).
 */
class FastCfbDecryptionTest {
    static final char[] PASS = "correct horse battery".toCharArray();
    @TempDir
    static Path dir;
    static Gpg gpg;
    static Path passFile;

    @BeforeAll
    static void gpg() throws IOException {
        gpg = new Gpg(dir);
        passFile = Files.writeString(dir.resolve("pass"), new String(PASS) + "\n");
    }

    static byte[] random(int size, long seed) {
        byte[] b = new byte[size];
        new Random(seed).nextBytes(b);
        return b;
    }

    static String sha256(byte[] b) throws Exception {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(b));
    }

    static final PlaintextConsumer<String> HASH = in -> {
        try {
            MessageDigest md = MessageDigest.getInstance("SHA-256");
            byte[] buf = new byte[65536];
            int n;
            while ((n = in.read(buf)) >= 0) {
                md.update(buf, 0, n);
            }
            return HexFormat.of().formatHex(md.digest());
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    };

    static byte[] gpgEncrypt(byte[] plain, boolean stdin, String... extra) throws IOException {
        Path in = Files.write(Files.createTempFile(dir, "plain", ".tar"), plain);
        Path out = dir.resolve(in.getFileName() + ".gpg");
        String[] args = new String[extra.length + 3];
        args[0] = "--s2k-digest-algo";
        args[1] = "SHA256";
        if (extra.length == 0) {
            args[2] = "-z0";
            args = Arrays.copyOf(args, 3);
        } else {
            args = Arrays.copyOf(args, 2 + extra.length);
            System.arraycopy(extra, 0, args, 2, extra.length);
        }
        Gpg.Result r = stdin ? gpg.encryptFromStdin(in, passFile, out, args) : gpg.encrypt(in, passFile, out, args);
        assertThat(r.exitCode()).as(r.toString()).isZero();
        return Files.readAllBytes(out);
    }

    static byte[] bcEncrypt(byte[] plain, OpenPgpEncryptor.Settings settings) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (OutputStream enc = new OpenPgpEncryptor(settings).open(out, PASS, "x.tar", Instant.now())) {
            enc.write(plain);
        }
        return out.toByteArray();
    }

    static Decrypted<String> fast(byte[] ct, char[] pass) throws Exception {
        return FastCfbDecryption.decrypt(new ByteArrayInputStream(ct), pass, HASH);
    }

    static Decrypted<String> standard(byte[] ct, char[] pass) throws Exception {
        return OpenPgpDecryptor.decryptStandard(() -> new ByteArrayInputStream(ct), pass, HASH);
    }

    @ParameterizedTest
    @ValueSource(ints = {0, 1, 17, 1000, (1 << 20) - 40, 1 << 20, 3_000_017})
    void gpgFileAndPipeOutputDecryptsLikeBouncyCastle(int size) throws Exception {
        byte[] plain = random(size, size);
        for (boolean stdin : new boolean[] {false, true}) {
            byte[] ct = gpgEncrypt(plain, stdin);
            Decrypted<String> f = fast(ct, PASS);
            Decrypted<String> s = standard(ct, PASS);
            assertThat(f.value()).isEqualTo(sha256(plain)).isEqualTo(s.value());
            assertThat(f.method()).isEqualTo(OpenPgpDecryptor.FAST_METHOD);
            assertThat(f.cipher()).isEqualTo("AES-256").isEqualTo(s.cipher());
            assertThat(f.ciphertextSha256()).isEqualTo(sha256(ct)).isEqualTo(s.ciphertextSha256());
            assertThat(f.ciphertextBytes()).isEqualTo(ct.length);
        }
    }

    @ParameterizedTest
    @ValueSource(ints = {0, 5, 65536, 2_500_000})
    void cryptoServiceOutputDecryptsLikeBouncyCastle(int size) throws Exception {
        byte[] plain = random(size, 7 + size);
        byte[] ct = bcEncrypt(plain, new OpenPgpEncryptor.Settings(OpenPgpEncryptor.S2kDigest.SHA512, 0x60,
                OpenPgpEncryptor.Compression.NONE, 1 << 16));
        assertThat(fast(ct, PASS).value()).isEqualTo(sha256(plain)).isEqualTo(standard(ct, PASS).value());
    }

    @Test
    void compressedMessageIsLeftToTheStandardDecryptor() throws Exception {
        byte[] plain = random(100_000, 3);
        byte[] ct = gpgEncrypt(plain, true, "-z", "6");
        assertThatThrownBy(() -> fast(ct, PASS)).isInstanceOfSatisfying(OpenPgpException.class,
                e -> assertThat(e.reason()).isEqualTo(Reason.UNSUPPORTED));
        assertThat(standard(ct, PASS).value()).isEqualTo(sha256(plain));
        // the one entry point falls back by itself, reading the object a second time
        int[] opened = new int[1];
        Decrypted<String> d = OpenPgpDecryptor.decrypt(() -> {
            opened[0]++;
            return new ByteArrayInputStream(ct);
        }, PASS, HASH);
        assertThat(d.value()).isEqualTo(sha256(plain));
        assertThat(d.method()).isEqualTo(OpenPgpDecryptor.STANDARD_METHOD);
        assertThat(opened[0]).isEqualTo(2);
    }

    @Test
    void theEntryPointTakesTheFastPathForWhatCryptoServiceAndGpgZ0Write() throws Exception {
        byte[] plain = random(200_000, 11);
        for (byte[] ct : new byte[][] {gpgEncrypt(plain, false), bcEncrypt(plain, new OpenPgpEncryptor.Settings(
                OpenPgpEncryptor.S2kDigest.SHA256, 0x60, OpenPgpEncryptor.Compression.NONE, 1 << 16))}) {
            Decrypted<String> d = OpenPgpDecryptor.decrypt(() -> new ByteArrayInputStream(ct), PASS, HASH);
            assertThat(d.method()).isEqualTo(OpenPgpDecryptor.FAST_METHOD);
            assertThat(d.value()).isEqualTo(sha256(plain)).isEqualTo(d.plaintextSha256());
        }
    }

    @Test
    void theConsumerIsNotCalledWhenThePassphraseIsWrong() throws Exception {
        byte[] ct = gpgEncrypt(random(50_000, 12), false);
        boolean[] called = new boolean[1];
        assertReason(() -> OpenPgpDecryptor.decrypt(() -> new ByteArrayInputStream(ct), "not it".toCharArray(), in -> {
            called[0] = true;
            return null;
        }), Reason.WRONG_PASSPHRASE);
        assertThat(called[0]).isFalse();
    }

    @Test
    void wrongPassphraseIsWrongKeyForBoth() throws Exception {
        byte[] ct = gpgEncrypt(random(50_000, 4), false);
        char[] wrong = "not it".toCharArray();
        assertReason(() -> fast(ct, wrong), Reason.WRONG_PASSPHRASE);
        assertReason(() -> standard(ct, wrong), Reason.WRONG_PASSPHRASE);
    }

    @ParameterizedTest
    @ValueSource(ints = {60, 1000, 1_048_600, 2_000_000, -30, -1})
    void aFlippedByteAnywhereIsAnMdcFailureForBoth(int position) throws Exception {
        byte[] plain = random(2_100_000, 5);
        for (boolean stdin : new boolean[] {false, true}) {
            byte[] ct = gpgEncrypt(plain, stdin);
            byte[] bad = ct.clone();
            int at = position < 0 ? bad.length + position : position;
            bad[at] ^= 0x10;
            assertReason(() -> fast(bad, PASS), Reason.MDC_FAILURE);
            assertReason(() -> standard(bad, PASS), Reason.MDC_FAILURE);
        }
    }

    @ParameterizedTest
    @ValueSource(ints = {10, 100, 1 << 16, 1_000_000, 2_099_990})
    void aTruncatedObjectIsTruncatedOrMdcFailureNeverSuccess(int keep) throws Exception {
        byte[] plain = random(2_100_000, 6);
        for (boolean stdin : new boolean[] {false, true}) {
            byte[] ct = gpgEncrypt(plain, stdin);
            byte[] cut = Arrays.copyOf(ct, Math.min(keep, ct.length - 1));
            assertReason(() -> fast(cut, PASS), Reason.TRUNCATED);
            assertThatThrownBy(() -> standard(cut, PASS)).isInstanceOf(OpenPgpException.class);
        }
    }

    @Test
    void trailingGarbageIsRefused() throws Exception {
        byte[] ct = gpgEncrypt(random(1000, 8), false);
        byte[] longer = Arrays.copyOf(ct, ct.length + 3);
        assertReason(() -> fast(longer, PASS), Reason.MALFORMED);
    }

    @Test
    void theConsumerSeesNoResultWhenTheMdcFails_andItsErrorIsKeptWhenItPasses() throws Exception {
        byte[] ct = gpgEncrypt(random(300_000, 9), true);
        PlaintextConsumer<String> failing = in -> {
            in.read(new byte[10]);
            throw new IOException("tar is damaged");
        };
        Decrypted<String> d = FastCfbDecryption.decrypt(new ByteArrayInputStream(ct), PASS, failing);
        assertThat(d.value()).isNull();
        assertThat(d.consumerError()).hasMessage("tar is damaged");
        byte[] bad = ct.clone();
        bad[5000] ^= 1;
        assertReason(() -> FastCfbDecryption.decrypt(new ByteArrayInputStream(bad), PASS, failing),
                Reason.MDC_FAILURE);
    }

    @Test
    void aConsumerThatClosesItsStreamEarlyStillGetsTheWholeMessageHashedAndMdcChecked() throws Exception {
        byte[] plain = random(5_000_000, 11);
        byte[] ct = gpgEncrypt(plain, false);
        PlaintextConsumer<String> closesEarly = in -> {
            in.read(new byte[100]);
            in.close();
            return "stopped";
        };
        Decrypted<String> d = FastCfbDecryption.decrypt(new ByteArrayInputStream(ct), PASS, closesEarly);
        assertThat(d.value()).isEqualTo("stopped");
        assertThat(d.plaintextBytes()).isEqualTo(plain.length);
        assertThat(d.plaintextSha256()).isEqualTo(sha256(plain));
        byte[] bad = ct.clone();
        bad[ct.length - 30] ^= 1; // in the last chunk: only a stage that read on to the end sees it
        assertReason(() -> FastCfbDecryption.decrypt(new ByteArrayInputStream(bad), PASS, closesEarly),
                Reason.MDC_FAILURE);
    }

    @Test
    void aFailingObjectStoreIsAnIoErrorNotAVerdict() throws Exception {
        byte[] ct = gpgEncrypt(random(3_000_000, 10), false);
        InputStream broken = new InputStream() {
            final InputStream in = new ByteArrayInputStream(ct);
            long n;

            @Override
            public int read() throws IOException {
                throw new IOException("connection reset");
            }

            @Override
            public int read(byte[] b, int off, int len) throws IOException {
                if (n > 1_500_000) {
                    throw new IOException("connection reset");
                }
                int r = in.read(b, off, Math.min(len, 100_000));
                n += Math.max(r, 0);
                return r;
            }
        };
        assertThatThrownBy(() -> FastCfbDecryption.decrypt(broken, PASS, HASH))
                .isInstanceOf(IOException.class).hasMessageContaining("connection reset");
    }

    interface Call {
        Object call() throws Exception;
    }

    static void assertReason(Call call, Reason reason) {
        assertThatThrownBy(call::call).isInstanceOfSatisfying(OpenPgpException.class,
                e -> assertThat(e.reason()).as(e.getMessage()).isEqualTo(reason));
    }
}
