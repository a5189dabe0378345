package io.dtrbackup.contract.events;

/**
 * How an artifact was encrypted, recorded so a reader knows what stock gpg must support.
 *
 * @param packetFormat e.g. {@code OpenPGP v4 SKESK + SEIPD v1 (MDC)}
 * @param cipher e.g. {@code AES-256}
 * @param s2k e.g. {@code iterated+salted}
 * @param s2kDigest e.g. {@code SHA-256}
 * @param s2kCountByte the encoded iteration count byte (255 = 65011712 octets)
 * @param compression e.g. {@code none}
 */
public record EncryptionParameters(
        @Rules.Text String packetFormat, @Rules.Text String cipher, @Rules.Text String s2k, @Rules.Text String s2kDigest,
        int s2kCountByte, boolean integrityProtected, @Rules.Text String compression) {

    public EncryptionParameters {
        Checks.text("packetFormat", packetFormat);
        Checks.text("cipher", cipher);
        Checks.text("s2k", s2k);
        Checks.text("s2kDigest", s2kDigest);
        Checks.text("compression", compression);
    }
}
