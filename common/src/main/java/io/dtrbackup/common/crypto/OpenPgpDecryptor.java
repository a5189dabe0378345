package io.dtrbackup.common.crypto;

import io.dtrbackup.common.archive.DigestingInputStream;
import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.Arrays;
import org.bouncycastle.bcpg.BCPGInputStream;
import org.bouncycastle.bcpg.MarkerPacket;
import org.bouncycastle.bcpg.Packet;
import org.bouncycastle.bcpg.SymmetricEncIntegrityPacket;
import org.bouncycastle.bcpg.SymmetricKeyEncSessionPacket;
import org.bouncycastle.openpgp.PGPCompressedData;
import org.bouncycastle.openpgp.PGPEncryptedDataList;
import org.bouncycastle.openpgp.PGPException;
import org.bouncycastle.openpgp.PGPLiteralData;
import org.bouncycastle.openpgp.PGPMarker;
import org.bouncycastle.openpgp.PGPObjectFactory;
import org.bouncycastle.openpgp.PGPPBEEncryptedData;
import org.bouncycastle.openpgp.operator.PBEDataDecryptorFactory;
import org.bouncycastle.openpgp.operator.bc.BcKeyFingerprintCalculator;
import org.bouncycastle.openpgp.operator.jcajce.JcaPGPDigestCalculatorProviderBuilder;
import org.bouncycastle.openpgp.operator.jcajce.JcePBEDataDecryptorFactoryBuilder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The one OpenPGP decryptor of dtr-backup: verify-service proves artifacts and the CLI's
 * {@code fetch} restores them through {@link #decrypt}, so a restore reads exactly what
 * verification read.
 *
 * <p>{@link #decrypt} takes the fast CFB path ({@link FastCfbDecryption}: v4 SKESK + SEIPD v1,
 * AES, no compression, what crypto-service and {@code gpg -z0} write) and falls back to Bouncy
 * Castle, reading the ciphertext again, for every other form the fast path reports as
 * {@link OpenPgpException.Reason#UNSUPPORTED} (compression, other packet versions, a message
 * without MDC, which Bouncy Castle's path then refuses). {@link Decrypted#method()} says which
 * path ran. The plaintext is a stream the consumer reads on the calling thread; only a
 * {@code Decrypted} returned means the MDC verified.
 *
 * <p>The Bouncy Castle path ({@link #open}) is streaming and safe against Bouncy Castle's two traps:
 * <ul>
 * <li>a message without integrity protection (no MDC) is refused before anything is read;</li>
 * <li>BC hands out plaintext before it checks the MDC, and its {@code verify()} returns false
 * instead of throwing: the returned stream checks the MDC when the literal data ends and throws
 * {@link IntegrityException} instead of reporting end of stream, so a caller never sees a
 * successful EOF of a message whose MDC did not verify.</li>
 * </ul>
 * A wrong passphrase fails in {@link #open} with {@link WrongPassphraseException}, before any
 * plaintext is released (OpenPGP's 16-bit quick check; in the 1-in-65536 case it passes, the
 * garbage does not parse as packets and the same exception follows, still before any plaintext).
 *
 * <p>Both paths use the JCE without the BC provider (SunJCE AES, SUN SHA). Thread-safe (stateless).
 */
public final class OpenPgpDecryptor {
    /** {@link Decrypted#method()} of the fast CFB path. */
    public static final String FAST_METHOD = FastCfbDecryption.METHOD;
    /** {@link Decrypted#method()} of Bouncy Castle's path. */
    public static final String STANDARD_METHOD = "bouncycastle";
    private static final Logger LOG = LoggerFactory.getLogger(OpenPgpDecryptor.class);
    private static final int PEEK_LIMIT = 8192;

    private OpenPgpDecryptor() {
    }

    /**
     * Decrypts the message {@code source} opens and hands its literal data to {@code consumer}
     * (on the calling thread); returns only when the MDC verified. What the consumer throws is
     * kept in {@link Decrypted#consumerError()} and the rest of the message is still checked.
     * The passphrase array is not kept.
     *
     * @throws OpenPgpException wrong passphrase, MDC failure, truncation, no MDC, malformed
     * @throws IOException reading the ciphertext failed (e.g. the object store)
     */
    public static <T> Decrypted<T> decrypt(CiphertextSource source, char[] passphrase, PlaintextConsumer<T> consumer)
            throws IOException {
        try (InputStream in = source.open()) {
            return FastCfbDecryption.decrypt(in, passphrase, consumer);
        } catch (OpenPgpException e) {
            if (e.reason() != OpenPgpException.Reason.UNSUPPORTED) {
                throw e;
            }
            LOG.info("the message is not in the form the fast path reads ({}): using Bouncy Castle's decryptor",
                    e.getMessage());
        }
        return decryptStandard(source, passphrase, consumer);
    }

    /** {@link #decrypt} with the passphrase of {@code keyId} from the store. */
    public static <T> Decrypted<T> decrypt(CiphertextSource source, PassphraseStore passphrases, String keyId,
            PlaintextConsumer<T> consumer) throws IOException {
        char[] pass = passphrases.passphrase(keyId);
        try {
            return decrypt(source, pass, consumer);
        } finally {
            Arrays.fill(pass, '\0');
        }
    }

    /**
     * {@link #decrypt} on Bouncy Castle's path only: where the fast path is switched off, and the
     * reference the fast path is tested and measured against.
     */
    public static <T> Decrypted<T> decryptStandard(CiphertextSource source, char[] passphrase,
            PlaintextConsumer<T> consumer) throws IOException {
        try (InputStream raw = source.open()) {
            DigestingInputStream counted = new DigestingInputStream(raw);
            try (DecryptedStream clear = open(counted, passphrase)) {
                DigestingInputStream data = new DigestingInputStream(clear);
                T value = null;
                Throwable consumerError = null;
                try {
                    value = consumer.consume(data);
                } catch (IOException | RuntimeException e) {
                    consumerError = e;
                }
                // Drain to the end: the MDC covers everything, and only its verified end returns -1.
                data.transferTo(OutputStream.nullOutputStream());
                if (clear.hasTrailingData()) {
                    throw OpenPgpException.of(OpenPgpException.Reason.MALFORMED,
                            "unexpected data after the encrypted data packet");
                }
                return new Decrypted<>(value, consumerError, counted.bytesRead(), counted.sha256(), data.bytesRead(),
                        data.sha256(), STANDARD_METHOD, clear.parameters().cipher());
            }
        }
    }

    /** Opens {@code ciphertext} with the passphrase of {@code keyId} from the store. */
    public static DecryptedStream open(InputStream ciphertext, PassphraseStore passphrases, String keyId)
            throws IOException {
        char[] pass = passphrases.passphrase(keyId);
        try {
            return open(ciphertext, pass);
        } finally {
            Arrays.fill(pass, '\0');
        }
    }

    /**
     * Opens a binary (not ASCII-armoured) passphrase-encrypted OpenPGP message. Read the
     * plaintext from the returned stream to its end: only a -1 from it means the MDC verified.
     * Closing it closes {@code ciphertext}. The passphrase array is not kept.
     */
    public static DecryptedStream open(InputStream ciphertext, char[] passphrase) throws IOException {
        boolean ok = false;
        try {
            DecryptedStream stream = doOpen(ciphertext, passphrase);
            ok = true;
            return stream;
        } finally {
            if (!ok) {
                ciphertext.close();
            }
        }
    }

    private static DecryptedStream doOpen(InputStream ciphertext, char[] passphrase) throws IOException {
        BufferedInputStream in = new BufferedInputStream(ciphertext, 1 << 16);
        SymmetricKeyEncSessionPacket skesk = peekSessionPacket(in);
        PGPObjectFactory outer = new PGPObjectFactory(in, new BcKeyFingerprintCalculator());
        Object o = nextObject(outer, "the message");
        while (o instanceof PGPMarker) {
            o = nextObject(outer, "the message");
        }
        if (!(o instanceof PGPEncryptedDataList list)) {
            throw new OpenPgpException("not an encrypted OpenPGP message (first packet: " + describe(o) + ")");
        }
        PGPPBEEncryptedData pbe = null;
        for (Object candidate : list) {
            if (candidate instanceof PGPPBEEncryptedData p) {
                pbe = p;
                break;
            }
        }
        if (pbe == null) {
            throw new OpenPgpException("the message is encrypted to a public key, not with a passphrase");
        }
        if (pbe.isAEAD() || !(pbe.getEncData() instanceof SymmetricEncIntegrityPacket seipd)
                || seipd.getVersion() != SymmetricEncIntegrityPacket.VERSION_1) {
            if (!pbe.isIntegrityProtected()) {
                throw new IntegrityException(OpenPgpException.Reason.NOT_INTEGRITY_PROTECTED, "the message has no "
                        + "integrity protection (no MDC): refused, as its content could have been changed undetected", null);
            }
            throw new OpenPgpException("unsupported OpenPGP encryption (AEAD / v5 / v6): dtr-backup reads SEIPD v1 "
                    + "with MDC, what gpg 2.2 writes");
        }
        if (!pbe.isIntegrityProtected()) {
            throw new IntegrityException(OpenPgpException.Reason.NOT_INTEGRITY_PROTECTED,
                    "the message has no integrity protection (no MDC): refused", null);
        }
        char[] pass = passphrase.clone();
        InputStream clear;
        try {
            PBEDataDecryptorFactory factory = new JcePBEDataDecryptorFactoryBuilder(
                    new JcaPGPDigestCalculatorProviderBuilder().build()).build(pass);
            clear = pbe.getDataStream(factory);
        } catch (PGPException | RuntimeException e) {
            // The quick check failed, or (with an encrypted session key, as BC writes) the session
            // key decrypted with the wrong key names no usable cipher: both mean the wrong passphrase.
            throw wrongPassphrase(e);
        } finally {
            Arrays.fill(pass, '\0');
        }
        PGPLiteralData literal;
        String compression = "none";
        try {
            PGPObjectFactory inner = new PGPObjectFactory(clear, new BcKeyFingerprintCalculator());
            Object first = inner.nextObject();
            if (first instanceof PGPCompressedData compressed) {
                compression = compressionName(compressed.getAlgorithm());
                inner = new PGPObjectFactory(compressed.getDataStream(), new BcKeyFingerprintCalculator());
                first = inner.nextObject();
            }
            if (!(first instanceof PGPLiteralData lit)) {
                throw new WrongPassphraseException("the decrypted data holds no literal data packet (found "
                        + describe(first) + "): wrong passphrase or corrupt ciphertext", null);
            }
            literal = lit;
        } catch (WrongPassphraseException e) {
            throw e;
        } catch (IOException | RuntimeException | PGPException e) {
            // Passed the 16-bit quick check but does not parse: a wrong passphrase (1 in 65536) or corruption.
            throw new WrongPassphraseException("the decrypted data does not parse as OpenPGP packets: wrong passphrase "
                    + "or corrupt ciphertext (" + e.getMessage() + ")", e);
        }
        return new DecryptedStream(in, pbe, literal, skesk, compression);
    }

    /** Reads the SKESK ahead (for its S2K parameters) and rewinds. */
    private static SymmetricKeyEncSessionPacket peekSessionPacket(BufferedInputStream in) throws IOException {
        in.mark(PEEK_LIMIT);
        try {
            BCPGInputStream packets = new BCPGInputStream(in);
            for (int i = 0; i < 4; i++) {
                Packet p = packets.readPacket();
                if (p instanceof MarkerPacket) {
                    continue;
                }
                return p instanceof SymmetricKeyEncSessionPacket s ? s : null;
            }
            return null;
        } catch (IOException | RuntimeException e) {
            throw new OpenPgpException("not an OpenPGP message: " + e.getMessage(), e);
        } finally {
            in.reset();
        }
    }

    private static Object nextObject(PGPObjectFactory factory, String what) throws IOException {
        try {
            Object o = factory.nextObject();
            if (o == null) {
                throw new OpenPgpException(what + " is empty or not OpenPGP");
            }
            return o;
        } catch (OpenPgpException e) {
            throw e;
        } catch (IOException | RuntimeException e) {
            throw new OpenPgpException(what + " is not OpenPGP: " + e.getMessage(), e);
        }
    }

    private static WrongPassphraseException wrongPassphrase(Exception e) {
        return new WrongPassphraseException("wrong passphrase (the session key does not decrypt or the OpenPGP quick "
                + "check failed; less likely, the first bytes of the ciphertext are corrupt): check the key ID recorded "
                + "with the artifact and its passphrase file [" + e.getMessage() + "]", e);
    }

    private static String describe(Object o) {
        return o == null ? "nothing" : o.getClass().getSimpleName();
    }

    static String compressionName(int algorithm) {
        return switch (algorithm) {
            case 0 -> "none";
            case 1 -> "zip";
            case 2 -> "zlib";
            case 3 -> "bzip2";
            default -> "algorithm " + algorithm;
        };
    }
}
