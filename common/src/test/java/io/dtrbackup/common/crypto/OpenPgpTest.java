package io.dtrbackup.common.crypto;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowable;

import io.dtrbackup.contract.events.EncryptionParameters;
import io.dtrbackup.testsupport.SecretScan;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Random;
import org.bouncycastle.bcpg.CompressionAlgorithmTags;
import org.bouncycastle.bcpg.SymmetricKeyAlgorithmTags;
import org.bouncycastle.openpgp.PGPCompressedDataGenerator;
import org.bouncycastle.openpgp.PGPEncryptedDataGenerator;
import org.bouncycastle.openpgp.PGPLiteralDataGenerator;
import org.bouncycastle.openpgp.operator.bc.BcPBEKeyEncryptionMethodGenerator;
import org.bouncycastle.openpgp.operator.bc.BcPGPDataEncryptorBuilder;
import org.bouncycastle.openpgp.operator.jcajce.JcePBEKeyEncryptionMethodGenerator;
import org.bouncycastle.openpgp.operator.jcajce.JcePGPDataEncryptorBuilder;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** OpenPgpEncryptor/OpenPgpDecryptor against each other and against stock gpg (Debian's 2.2). */
class OpenPgpTest {
    private static final char[] PASS = "correct horse battery staple ÄÖÜ".toCharArray();
    @TempDir
    Path dir;

    private static byte[] random(int size, long seed) {
        byte[] data = new byte[size];
        new Random(seed).nextBytes(data);
        return data;
    }

    private static byte[] encrypt(OpenPgpEncryptor encryptor, byte[] plaintext, char[] pass) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (OutputStream enc = encryptor.open(out, pass, "x.tar", Instant.now())) {
            enc.write(plaintext);
        }
        return out.toByteArray();
    }

    private Path passFile(char[] pass) throws IOException {
        Path f = dir.resolve("pass-" + System.nanoTime());
        Files.writeString(f, new String(pass) + "\n", StandardCharsets.UTF_8);
        return f;
    }

    @Test
    void roundTripsAndReportsParameters() throws IOException {
        byte[] plain = random(300_000, 1);
        OpenPgpEncryptor encryptor = OpenPgpEncryptor.withDefaults();
        byte[] cipher = encrypt(encryptor, plain, PASS);
        Instant now = Instant.now();
        try (DecryptedStream in = OpenPgpDecryptor.open(new ByteArrayInputStream(cipher), PASS)) {
            assertThat(in.readAllBytes()).isEqualTo(plain);
            assertThat(in.isVerified()).isTrue();
            assertThat(in.fileName()).isEqualTo("x.tar");
            assertThat(in.modificationTime()).isBetween(now.minusSeconds(60), now.plusSeconds(1));
            assertThat(in.parameters()).isEqualTo(encryptor.parameters());
        }
        assertThat(encryptor.parameters()).isEqualTo(new EncryptionParameters("OpenPGP v4 SKESK + SEIPD v1 (MDC)",
                "AES-256", "iterated+salted", "SHA-256", 255, true, "none"));
    }

    @Test
    void emptyPlaintextRoundTrips() throws IOException {
        byte[] cipher = encrypt(OpenPgpEncryptor.withDefaults(), new byte[0], PASS);
        try (DecryptedStream in = OpenPgpDecryptor.open(new ByteArrayInputStream(cipher), PASS)) {
            assertThat(in.read()).isEqualTo(-1);
            assertThat(in.isVerified()).isTrue();
        }
    }

    @Test
    void saltIsRandomPerMessage() throws IOException {
        byte[] plain = random(1000, 2);
        OpenPgpEncryptor encryptor = OpenPgpEncryptor.withDefaults();
        assertThat(encrypt(encryptor, plain, PASS)).isNotEqualTo(encrypt(encryptor, plain, PASS));
    }

    @Test
    void wrongPassphraseFailsBeforeAnyPlaintextAndNamesNeitherPassphrase() throws IOException {
        String right = SecretScan.secret("pgp-right");
        String wrong = SecretScan.secret("pgp-wrong");
        byte[] cipher = encrypt(OpenPgpEncryptor.withDefaults(), random(100_000, 3), right.toCharArray());
        Throwable failure = catchThrowable(() -> OpenPgpDecryptor.open(new ByteArrayInputStream(cipher),
                wrong.toCharArray()));
        assertThat(failure).isInstanceOf(WrongPassphraseException.class).hasMessageContaining("wrong passphrase");
        assertThat(SecretScan.foundIn(SecretScan.textOf(failure), right, wrong))
                .as("a passphrase (bare, base64 or hex) in the exception's message, causes or stack trace: %s", failure)
                .isEmpty();
        Throwable viaEntryPoint = catchThrowable(() -> OpenPgpDecryptor.decrypt(() -> new ByteArrayInputStream(cipher),
                wrong.toCharArray(), InputStream::readAllBytes));
        assertThat(viaEntryPoint).isInstanceOf(WrongPassphraseException.class);
        assertThat(SecretScan.foundIn(SecretScan.textOf(viaEntryPoint), right, wrong))
                .as("a passphrase (bare, base64 or hex) in the exception's message, causes or stack trace: %s",
                        viaEntryPoint).isEmpty();
    }

    @Test
    void flippedByteFailsAtTheMdcInsteadOfEof() throws IOException {
        byte[] plain = random(200_000, 4);
        byte[] cipher = encrypt(OpenPgpEncryptor.withDefaults(), plain, PASS);
        cipher[5000] ^= 0x01; // inside the first 64 KiB chunk: plaintext bytes, not a packet header
        DecryptedStream in = OpenPgpDecryptor.open(new ByteArrayInputStream(cipher), PASS);
        byte[] buf = new byte[8192];
        long read = 0;
        IOException failure = null;
        try {
            for (int n; (n = in.read(buf)) >= 0; ) {
                read += n;
            }
        } catch (IOException e) {
            failure = e;
        }
        assertThat(failure).isInstanceOf(IntegrityException.class).hasMessageContaining("MDC");
        assertThat(SecretScan.foundIn(SecretScan.textOf(failure), new String(PASS)))
                .as("the passphrase (bare, base64 or hex) in the integrity failure: %s", failure).isEmpty();
        assertThat(read).isEqualTo(plain.length); // BC released it all, only the wrapper stops the EOF
        assertThat(in.isVerified()).isFalse();
        assertThatThrownBy(in::read).isInstanceOf(IntegrityException.class);
    }

    @Test
    void truncatedCiphertextNeverEndsSuccessfully() throws IOException {
        byte[] cipher = encrypt(OpenPgpEncryptor.withDefaults(), random(200_000, 5), PASS);
        byte[] cut = java.util.Arrays.copyOf(cipher, cipher.length - 30);
        assertThatThrownBy(() -> {
            try (InputStream in = OpenPgpDecryptor.open(new ByteArrayInputStream(cut), PASS)) {
                in.readAllBytes();
            }
        }).isInstanceOf(IOException.class);
    }

    @Test
    void messageWithoutMdcIsRefused() throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        // The non-MDC mode (CFB with resync) exists only in BC's lightweight API.
        PGPEncryptedDataGenerator gen = new PGPEncryptedDataGenerator(
                new BcPGPDataEncryptorBuilder(SymmetricKeyAlgorithmTags.AES_256).setWithIntegrityPacket(false));
        gen.addMethod(new BcPBEKeyEncryptionMethodGenerator(PASS));
        try (OutputStream enc = gen.open(out, new byte[1 << 12]);
                OutputStream lit = new PGPLiteralDataGenerator().open(enc, PGPLiteralDataGenerator.BINARY, "x",
                        new java.util.Date(), new byte[1 << 12])) {
            lit.write(random(10_000, 6));
        }
        assertThatThrownBy(() -> OpenPgpDecryptor.open(new ByteArrayInputStream(out.toByteArray()), PASS))
                .isInstanceOf(IntegrityException.class).hasMessageContaining("no MDC");
    }

    @Test
    void compressedMessagesDecrypt() throws Exception {
        byte[] plain = "hello ".repeat(10_000).getBytes(StandardCharsets.UTF_8);
        OpenPgpEncryptor zlib = new OpenPgpEncryptor(new OpenPgpEncryptor.Settings(OpenPgpEncryptor.S2kDigest.SHA512,
                0xEE, OpenPgpEncryptor.Compression.ZLIB, 1 << 12));
        byte[] cipher = encrypt(zlib, plain, PASS);
        assertThat(cipher.length).isLessThan(plain.length / 10);
        try (DecryptedStream in = OpenPgpDecryptor.open(new ByteArrayInputStream(cipher), PASS)) {
            assertThat(in.readAllBytes()).isEqualTo(plain);
            assertThat(in.parameters()).isEqualTo(zlib.parameters());
        }
        // and a ZIP-compressed one, as gpg's default would write
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        PGPEncryptedDataGenerator gen = new PGPEncryptedDataGenerator(
                new JcePGPDataEncryptorBuilder(SymmetricKeyAlgorithmTags.AES_256).setWithIntegrityPacket(true));
        gen.addMethod(new JcePBEKeyEncryptionMethodGenerator(PASS));
        PGPCompressedDataGenerator comp = new PGPCompressedDataGenerator(CompressionAlgorithmTags.ZIP);
        try (OutputStream enc = gen.open(out, new byte[1 << 12]); OutputStream c = comp.open(enc);
                OutputStream lit = new PGPLiteralDataGenerator().open(c, PGPLiteralDataGenerator.BINARY, "x",
                        new java.util.Date(), new byte[1 << 12])) {
            lit.write(plain);
        }
        try (DecryptedStream in = OpenPgpDecryptor.open(new ByteArrayInputStream(out.toByteArray()), PASS)) {
            assertThat(in.readAllBytes()).isEqualTo(plain);
            assertThat(in.parameters().compression()).isEqualTo("zip");
        }
    }

    @Test
    void stockGpgDecryptsWhatWeWrite() throws IOException {
        byte[] plain = random(3 * 65536 + 17, 7);
        for (OpenPgpEncryptor encryptor : new OpenPgpEncryptor[] {OpenPgpEncryptor.withDefaults(),
                new OpenPgpEncryptor(new OpenPgpEncryptor.Settings(OpenPgpEncryptor.S2kDigest.SHA512, 0xEE,
                        OpenPgpEncryptor.Compression.ZLIB, 1 << 16))}) {
            Path in = dir.resolve("m.gpg");
            Path out = dir.resolve("m.out");
            Files.write(in, encrypt(encryptor, plain, PASS));
            Gpg.Result r = new Gpg(dir).decrypt(in, passFile(PASS), out);
            assertThat(r.exitCode()).as(r.toString()).isZero();
            assertThat(r.has("DECRYPTION_OKAY")).as(r.toString()).isTrue();
            assertThat(r.has("GOODMDC")).as(r.toString()).isTrue();
            assertThat(r.has("DECRYPTION_INFO 2 9")).as(r.toString()).isTrue(); // MDC method 2, AES-256
            assertThat(Files.readAllBytes(out)).isEqualTo(plain);
            Files.delete(out);
            // and the one decryptor reads it back: the fast path, or Bouncy Castle's for the compressed one
            Decrypted<byte[]> d = OpenPgpDecryptor.decrypt(() -> Files.newInputStream(in), PASS, InputStream::readAllBytes);
            assertThat(d.value()).isEqualTo(plain);
            assertThat(d.method()).isEqualTo(encryptor.parameters().compression().equals("none")
                    ? OpenPgpDecryptor.FAST_METHOD : OpenPgpDecryptor.STANDARD_METHOD);
        }
    }

    @Test
    void writesOfEverySizeIncludingSingleBytesAndWholeSlicesDecryptWithStockGpg() throws IOException {
        // The cipher stream encrypts in 64 KiB slices into one buffer: cross slice and block edges on purpose.
        byte[] plain = random(8 * 65536 + 1000 + 3, 8);
        java.io.ByteArrayOutputStream sink = new java.io.ByteArrayOutputStream();
        try (OutputStream m = OpenPgpEncryptor.withDefaults().open(sink, PASS, "odd.tar",
                java.time.Instant.parse("2026-11-25T02:00:00Z"))) {
            int pos = 0;
            for (int size : new int[] {1, 15, 16, 17, 65535, 65536, 65537, 3 * 65536 + 5}) {
                m.write(plain, pos, size);
                pos += size;
            }
            while (pos < plain.length) {
                m.write(plain[pos++]);
            }
        }
        Path in = dir.resolve("odd.gpg");
        Path out = dir.resolve("odd.out");
        Files.write(in, sink.toByteArray());
        Gpg.Result r = new Gpg(dir).decrypt(in, passFile(PASS), out);
        assertThat(r.exitCode()).as(r.toString()).isZero();
        assertThat(r.has("GOODMDC")).as(r.toString()).isTrue();
        assertThat(Files.readAllBytes(out)).isEqualTo(plain);
    }

    @Test
    void stockGpgReportsBadMdcOnTamperedCiphertext() throws IOException {
        byte[] cipher = encrypt(OpenPgpEncryptor.withDefaults(), random(100_000, 8), PASS);
        cipher[5000] ^= 0x40;
        Path in = dir.resolve("t.gpg");
        Files.write(in, cipher);
        Gpg.Result r = new Gpg(dir).decrypt(in, passFile(PASS), dir.resolve("t.out"));
        assertThat(r.exitCode()).as(r.toString()).isNotZero();
        assertThat(r.has("BADMDC") || r.has("DECRYPTION_FAILED")).as(r.toString()).isTrue();
    }

    @Test
    void weDecryptWhatStockGpgWrites() throws IOException {
        byte[] plain = random(500_000, 9);
        Path in = dir.resolve("plain.tar");
        Files.write(in, plain);
        Path pass = passFile(PASS);
        for (String[] extra : new String[][] {{"-z0"}, {}, {"--s2k-digest-algo", "SHA512", "--s2k-count", "65011712"}}) {
            Path out = dir.resolve("gpg-" + extra.length + ".gpg");
            Gpg.Result r = new Gpg(dir).encrypt(in, pass, out, extra);
            assertThat(r.exitCode()).as(r.toString()).isZero();
            try (DecryptedStream d = OpenPgpDecryptor.open(Files.newInputStream(out), PASS)) {
                assertThat(d.readAllBytes()).isEqualTo(plain);
                assertThat(d.isVerified()).isTrue();
                assertThat(d.fileName()).isEqualTo("plain.tar");
                assertThat(d.parameters().cipher()).isEqualTo("AES-256");
                assertThat(d.parameters().integrityProtected()).isTrue();
            }
            assertThatThrownBy(() -> OpenPgpDecryptor.open(Files.newInputStream(out), "nope".toCharArray()))
                    .isInstanceOf(WrongPassphraseException.class);
            // the one entry point: -z0 on the fast path, gpg's default (compressed) through the fallback
            Decrypted<byte[]> viaEntryPoint = OpenPgpDecryptor.decrypt(() -> Files.newInputStream(out), PASS,
                    InputStream::readAllBytes);
            assertThat(viaEntryPoint.value()).isEqualTo(plain);
            assertThat(viaEntryPoint.plaintextBytes()).isEqualTo(plain.length);
            assertThat(viaEntryPoint.method()).isEqualTo(extra.length == 1 && extra[0].equals("-z0")
                    ? OpenPgpDecryptor.FAST_METHOD : OpenPgpDecryptor.STANDARD_METHOD);
            assertThatThrownBy(() -> OpenPgpDecryptor.decrypt(() -> Files.newInputStream(out), "nope".toCharArray(),
                    InputStream::readAllBytes)).isInstanceOf(WrongPassphraseException.class);
        }
    }

    @Test
    void countByteCodec() {
        assertThat(OpenPgpEncryptor.decodeCount(0xFF)).isEqualTo(65_011_712L);
        assertThat(OpenPgpEncryptor.countByteOf(65_011_712L)).isEqualTo(0xFF);
        assertThat(OpenPgpEncryptor.countByteOf(OpenPgpEncryptor.decodeCount(0xEE))).isEqualTo(0xEE);
        assertThatThrownBy(() -> new OpenPgpEncryptor.Settings(OpenPgpEncryptor.S2kDigest.SHA256, 0x10,
                OpenPgpEncryptor.Compression.NONE, 1 << 16)).isInstanceOf(IllegalArgumentException.class);
    }
}
