package io.dtrbackup.common.archive;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/**
 * A compact fingerprint of a tar's entry list: the count and the SHA-256 of every entry name
 * followed by a newline, in archive order. The producer computes it while writing, the verifier
 * while reading back, so comparing listings costs 64 bytes in an event instead of the names.
 */
public final class TarListing {
    private final MessageDigest digest;
    private long entries;

    public TarListing() {
        try {
            digest = MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    public void add(String entryName) {
        digest.update(entryName.getBytes(StandardCharsets.UTF_8));
        digest.update((byte) '\n');
        entries++;
    }

    public long entryCount() {
        return entries;
    }

    /** The listing digest; call once, at the end. */
    public String sha256() {
        return HexFormat.of().formatHex(digest.digest());
    }
}
