package io.dtrbackup.common.crypto;

import io.dtrbackup.contract.events.EncryptionParameters;
import java.io.IOException;
import java.io.InputStream;
import java.time.Instant;
import org.bouncycastle.bcpg.S2K;
import org.bouncycastle.bcpg.SymmetricKeyEncSessionPacket;
import org.bouncycastle.openpgp.PGPException;
import org.bouncycastle.openpgp.PGPLiteralData;
import org.bouncycastle.openpgp.PGPPBEEncryptedData;

/**
 * The literal data of a message opened by {@link OpenPgpDecryptor}. End of stream (-1) is
 * reported only after the MDC verified; otherwise the read that reaches the end throws
 * {@link IntegrityException} (and so does every later read).
 */
public final class DecryptedStream extends InputStream {
    private final InputStream ciphertext;
    private final PGPPBEEncryptedData encrypted;
    private final PGPLiteralData literal;
    private final InputStream data;
    private final SymmetricKeyEncSessionPacket skesk;
    private final String compression;
    private boolean verified;
    private IntegrityException failure;

    DecryptedStream(InputStream ciphertext, PGPPBEEncryptedData encrypted, PGPLiteralData literal,
            SymmetricKeyEncSessionPacket skesk, String compression) {
        this.ciphertext = ciphertext;
        this.encrypted = encrypted;
        this.literal = literal;
        this.data = literal.getInputStream();
        this.skesk = skesk;
        this.compression = compression;
    }

    @Override
    public int read() throws IOException {
        if (verified) {
            return -1;
        }
        checkFailure();
        int b;
        try {
            b = data.read();
        } catch (java.io.EOFException e) {
            throw truncated(e);
        }
        if (b < 0) {
            finish();
        }
        return b;
    }

    @Override
    public int read(byte[] buffer, int offset, int length) throws IOException {
        if (verified) {
            return -1;
        }
        checkFailure();
        if (length == 0) {
            return 0;
        }
        int n;
        try {
            n = data.read(buffer, offset, length);
        } catch (java.io.EOFException e) {
            throw truncated(e);
        }
        if (n < 0) {
            finish();
        }
        return n;
    }

    @Override
    public long skip(long n) throws IOException {
        // Skipped bytes still pass through the MDC hash: read them.
        long done = 0;
        byte[] scratch = new byte[8192];
        while (done < n) {
            int r = read(scratch, 0, (int) Math.min(scratch.length, n - done));
            if (r < 0) {
                break;
            }
            done += r;
        }
        return done;
    }

    @Override
    public int available() throws IOException {
        return verified || failure != null ? 0 : data.available();
    }

    @Override
    public boolean markSupported() {
        return false;
    }

    @Override
    public void close() throws IOException {
        ciphertext.close();
    }

    /** True once the end was reached and the MDC verified. */
    public boolean isVerified() {
        return verified;
    }

    /** After the verified end: whether anything follows the message in the ciphertext (refused). */
    boolean hasTrailingData() throws IOException {
        return ciphertext.read() >= 0;
    }

    /** The literal packet's file name (what gpg --use-embedded-filename would write). */
    public String fileName() {
        return literal.getFileName();
    }

    public Instant modificationTime() {
        return literal.getModificationTime().toInstant();
    }

    /**
     * How this message was encrypted, in the same terms as {@link OpenPgpEncryptor#parameters()},
     * so a verifier can compare what was recorded with what was read.
     */
    public EncryptionParameters parameters() {
        String cipher = skesk == null ? "unknown" : cipherName(skesk.getEncAlgorithm());
        String s2kType = "unknown";
        String digest = "unknown";
        int countByte = -1;
        if (skesk != null) {
            S2K s2k = skesk.getS2K();
            s2kType = switch (s2k.getType()) {
                case S2K.SIMPLE -> "simple";
                case S2K.SALTED -> "salted";
                case S2K.SALTED_AND_ITERATED -> "iterated+salted";
                default -> "type " + s2k.getType();
            };
            digest = digestName(s2k.getHashAlgorithm());
            if (s2k.getType() == S2K.SALTED_AND_ITERATED) {
                countByte = OpenPgpEncryptor.countByteOf(s2k.getIterationCount());
            }
        }
        String format = "OpenPGP v" + (skesk == null ? "?" : skesk.getVersion()) + " SKESK + SEIPD v1 (MDC)";
        return new EncryptionParameters(format, cipher, s2kType, digest, countByte, encrypted.isIntegrityProtected(),
                compression);
    }

    private void finish() throws IOException {
        boolean ok;
        try {
            ok = encrypted.verify();
        } catch (PGPException | IOException e) {
            failure = new IntegrityException(OpenPgpException.Reason.TRUNCATED, "the integrity check (MDC) could not be completed: the ciphertext is "
                    + "truncated or corrupt (" + e.getMessage() + ")", e);
            throw failure;
        }
        if (!ok) {
            failure = new IntegrityException(OpenPgpException.Reason.MDC_FAILURE, "the integrity check (MDC) failed: the "
                    + "ciphertext was modified or is corrupt; discard everything read from it", null);
            throw failure;
        }
        verified = true;
    }

    private IntegrityException truncated(java.io.EOFException e) {
        failure = new IntegrityException(OpenPgpException.Reason.TRUNCATED, "the ciphertext ends early (truncated): " + e.getMessage(), e);
        return failure;
    }

    private void checkFailure() throws IntegrityException {
        if (failure != null) {
            throw failure;
        }
    }

    private static String cipherName(int algorithm) {
        return switch (algorithm) {
            case 7 -> "AES-128";
            case 8 -> "AES-192";
            case 9 -> "AES-256";
            case 2 -> "3DES";
            case 3 -> "CAST5";
            case 10 -> "Twofish";
            default -> "algorithm " + algorithm;
        };
    }

    private static String digestName(int algorithm) {
        return switch (algorithm) {
            case 2 -> "SHA-1";
            case 8 -> "SHA-256";
            case 9 -> "SHA-384";
            case 10 -> "SHA-512";
            case 11 -> "SHA-224";
            default -> "algorithm " + algorithm;
        };
    }
}
