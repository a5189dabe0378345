package io.dtrbackup.common.crypto;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
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

/**
 * Streaming decryption of passphrase-encrypted OpenPGP messages (what {@link OpenPgpEncryptor}
 * and {@code gpg --symmetric} write), safe against Bouncy Castle's two traps:
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
 * <p>JCE path without the BC provider (SunJCE AES, SUN SHA). Thread-safe (stateless).
 */
public final class OpenPgpDecryptor {
    private static final int PEEK_LIMIT = 8192;

    private OpenPgpDecryptor() {
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
                throw new IntegrityException("the message has no integrity protection (no MDC): refused, as its "
                        + "content could have been changed undetected");
            }
            throw new OpenPgpException("unsupported OpenPGP encryption (AEAD / v5 / v6): dtr-backup reads SEIPD v1 "
                    + "with MDC, what gpg 2.2 writes");
        }
        if (!pbe.isIntegrityProtected()) {
            throw new IntegrityException("the message has no integrity protection (no MDC): refused");
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
