package io.dtrbackup.verify.openpgp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.dtrbackup.common.crypto.OpenPgpEncryptor;
import io.dtrbackup.verify.Gpg;
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
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The fast CFB path against Bouncy Castle's standard decryptor, on gpg's and crypto-service's output. */
class FastPgpDecryptorTest {
    static final char[] PASS = "correct horse battery".toCharArray();
    @TempDir
    static Path dir;
    static Gpg gpg;
    static Path passFile;

    @BeforeAll
    static void gpg() {
        gpg = new Gpg(dir);
        passFile = gpg.passphraseFile("pass", new String(PASS));
    }

    @AfterAll
    static void stopAgent() {
        gpg.close();
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
        gpg.encrypt(in, out, passFile, stdin, extra);
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
        return new FastPgpDecryptor().decrypt(new ByteArrayInputStream(ct), pass, HASH);
    }

    static Decrypted<String> standard(byte[] ct, char[] pass) throws Exception {
        return new StandardPgpDecryptor().decrypt(new ByteArrayInputStream(ct), pass, HASH);
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
            assertThat(f.method()).isEqualTo(FastPgpDecryptor.METHOD);
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
        assertThatThrownBy(() -> fast(ct, PASS)).isInstanceOfSatisfying(DecryptionException.class,
                e -> assertThat(e.reason()).isEqualTo(DecryptionException.Reason.UNSUPPORTED));
        assertThat(standard(ct, PASS).value()).isEqualTo(sha256(plain));
    }

    @Test
    void wrongPassphraseIsWrongKeyForBoth() throws Exception {
        byte[] ct = gpgEncrypt(random(50_000, 4), false);
        char[] wrong = "not it".toCharArray();
        assertReason(() -> fast(ct, wrong), DecryptionException.Reason.WRONG_KEY);
        assertReason(() -> standard(ct, wrong), DecryptionException.Reason.WRONG_KEY);
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
            assertReason(() -> fast(bad, PASS), DecryptionException.Reason.MDC_FAILURE);
            assertReason(() -> standard(bad, PASS), DecryptionException.Reason.MDC_FAILURE);
        }
    }

    @ParameterizedTest
    @ValueSource(ints = {10, 100, 1 << 16, 1_000_000, 2_099_990})
    void aTruncatedObjectIsTruncatedOrMdcFailureNeverSuccess(int keep) throws Exception {
        byte[] plain = random(2_100_000, 6);
        for (boolean stdin : new boolean[] {false, true}) {
            byte[] ct = gpgEncrypt(plain, stdin);
            byte[] cut = Arrays.copyOf(ct, Math.min(keep, ct.length - 1));
            assertReason(() -> fast(cut, PASS), DecryptionException.Reason.TRUNCATED);
            assertThatThrownBy(() -> standard(cut, PASS)).isInstanceOf(DecryptionException.class);
        }
    }

    @Test
    void trailingGarbageIsRefused() throws Exception {
        byte[] ct = gpgEncrypt(random(1000, 8), false);
        byte[] longer = Arrays.copyOf(ct, ct.length + 3);
        assertReason(() -> fast(longer, PASS), DecryptionException.Reason.MALFORMED);
    }

    @Test
    void theConsumerSeesNoResultWhenTheMdcFails_andItsErrorIsKeptWhenItPasses() throws Exception {
        byte[] ct = gpgEncrypt(random(300_000, 9), true);
        PlaintextConsumer<String> failing = in -> {
            in.read(new byte[10]);
            throw new IOException("tar is damaged");
        };
        Decrypted<String> d = new FastPgpDecryptor().decrypt(new ByteArrayInputStream(ct), PASS, failing);
        assertThat(d.value()).isNull();
        assertThat(d.consumerError()).hasMessage("tar is damaged");
        byte[] bad = ct.clone();
        bad[5000] ^= 1;
        assertReason(() -> new FastPgpDecryptor().decrypt(new ByteArrayInputStream(bad), PASS, failing),
                DecryptionException.Reason.MDC_FAILURE);
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
        assertThatThrownBy(() -> new FastPgpDecryptor().decrypt(broken, PASS, HASH))
                .isInstanceOf(IOException.class).hasMessageContaining("connection reset");
    }

    interface Call {
        Object call() throws Exception;
    }

    static void assertReason(Call call, DecryptionException.Reason reason) {
        assertThatThrownBy(call::call).isInstanceOfSatisfying(DecryptionException.class,
                e -> assertThat(e.reason()).as(e.getMessage()).isEqualTo(reason));
    }
}
