package io.dtrbackup.verify.openpgp;

import io.dtrbackup.common.archive.DigestingInputStream;
import io.dtrbackup.verify.openpgp.DecryptionException.Reason;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import org.bouncycastle.openpgp.PGPCompressedData;
import org.bouncycastle.openpgp.PGPDataValidationException;
import org.bouncycastle.openpgp.PGPEncryptedDataList;
import org.bouncycastle.openpgp.PGPException;
import org.bouncycastle.openpgp.PGPLiteralData;
import org.bouncycastle.openpgp.PGPMarker;
import org.bouncycastle.openpgp.PGPPBEEncryptedData;
import org.bouncycastle.openpgp.jcajce.JcaPGPObjectFactory;
import org.bouncycastle.openpgp.operator.PBEDataDecryptorFactory;
import org.bouncycastle.openpgp.operator.jcajce.JcaPGPDigestCalculatorProviderBuilder;
import org.bouncycastle.openpgp.operator.jcajce.JcePBEDataDecryptorFactoryBuilder;

/**
 * Bouncy Castle's own decryptor, on the JCE path without the BC provider (SunJCE's AES, SUN's
 * digests). The reference the fast path is tested against, and the fallback for forms the fast
 * path does not handle (compression, other packet versions). Bouncy Castle hands out plaintext
 * before it checks the MDC and {@code verify()} returns false rather than throwing: nothing the
 * consumer found counts until {@code isIntegrityProtected()} and {@code verify()} both passed.
 */
public final class StandardPgpDecryptor {
    public static final String METHOD = "bouncycastle";

    public <T> Decrypted<T> decrypt(InputStream ciphertext, char[] passphrase, PlaintextConsumer<T> consumer)
            throws DecryptionException, IOException {
        DigestingInputStream counted = new DigestingInputStream(ciphertext);
        try {
            JcaPGPObjectFactory outer = new JcaPGPObjectFactory(counted);
            Object first = outer.nextObject();
            while (first instanceof PGPMarker) {
                first = outer.nextObject();
            }
            if (!(first instanceof PGPEncryptedDataList list)) {
                throw new DecryptionException(first == null ? Reason.TRUNCATED : Reason.MALFORMED,
                        "not an OpenPGP encrypted message (found " + (first == null ? "nothing" : first.getClass().getSimpleName()) + ")");
            }
            PGPPBEEncryptedData pbe = null;
            for (Object o : list) {
                if (o instanceof PGPPBEEncryptedData p) {
                    pbe = p;
                    break;
                }
            }
            if (pbe == null) {
                throw new DecryptionException(Reason.MALFORMED, "no passphrase-encrypted session key in the message");
            }
            if (!pbe.isIntegrityProtected()) {
                throw new DecryptionException(Reason.NOT_INTEGRITY_PROTECTED,
                        "the message has no integrity protection (no MDC): refused");
            }
            PBEDataDecryptorFactory factory = new JcePBEDataDecryptorFactoryBuilder(
                    new JcaPGPDigestCalculatorProviderBuilder().build()).build(passphrase);
            InputStream clear;
            try {
                clear = pbe.getDataStream(factory);
            } catch (PGPDataValidationException e) {
                throw new DecryptionException(Reason.WRONG_KEY, "the passphrase does not open the message", e);
            }
            String cipher = FastPgpDecryptor.cipherName(pbe.getSymmetricAlgorithm(factory));
            JcaPGPObjectFactory inner = new JcaPGPObjectFactory(clear);
            Object content = inner.nextObject();
            if (content instanceof PGPCompressedData compressed) {
                inner = new JcaPGPObjectFactory(compressed.getDataStream());
                content = inner.nextObject();
            }
            if (!(content instanceof PGPLiteralData literal)) {
                throw new DecryptionException(Reason.MALFORMED, "the encrypted message holds no literal data");
            }
            DigestingInputStream data = new DigestingInputStream(literal.getInputStream());
            T value = null;
            Throwable consumerError = null;
            try {
                value = consumer.consume(data);
            } catch (IOException | RuntimeException e) {
                consumerError = e;
            }
            data.transferTo(OutputStreamSink.INSTANCE);
            clear.transferTo(OutputStreamSink.INSTANCE);
            if (!pbe.verify()) {
                throw new DecryptionException(Reason.MDC_FAILURE,
                        "the MDC does not match: the ciphertext was modified or damaged");
            }
            if (counted.read() >= 0) {
                throw new DecryptionException(Reason.MALFORMED, "unexpected data after the encrypted data packet");
            }
            return new Decrypted<>(value, consumerError, counted.bytesRead(), counted.sha256(), data.bytesRead(),
                    data.sha256(), METHOD, cipher);
        } catch (EOFException e) {
            throw new DecryptionException(Reason.TRUNCATED, "the object is truncated: " + e.getMessage(), e);
        } catch (PGPException e) {
            if (e.getMessage() != null && e.getMessage().contains("EOF")) {
                throw new DecryptionException(Reason.TRUNCATED, "the object is truncated: " + e.getMessage(), e);
            }
            throw new DecryptionException(Reason.MALFORMED, "not a valid OpenPGP message: " + e.getMessage(), e);
        }
    }

    /** Discards bytes (drains streams so the MDC covers everything). */
    private static final class OutputStreamSink extends java.io.OutputStream {
        static final OutputStreamSink INSTANCE = new OutputStreamSink();

        @Override
        public void write(int b) {
        }

        @Override
        public void write(byte[] b, int off, int len) {
        }
    }
}
