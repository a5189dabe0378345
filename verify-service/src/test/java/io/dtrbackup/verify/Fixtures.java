package io.dtrbackup.verify;

import io.dtrbackup.common.archive.TarListing;
import io.dtrbackup.common.crypto.OpenPgpEncryptor;
import io.dtrbackup.contract.events.ArtifactEncrypted;
import io.dtrbackup.contract.events.ArtifactKind;
import io.dtrbackup.contract.events.BackupEvent;
import io.dtrbackup.contract.events.EventIds;
import io.dtrbackup.testsupport.DtrMetadataTar;
import io.dtrbackup.testsupport.RegistryTreeGenerator;
import io.dtrbackup.testsupport.RegistryTreeSpec;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Instant;
import java.util.HexFormat;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;

/** Artifacts as the producers make them: tars, their listing, their ciphertext and ArtifactEncrypted. */
public final class Fixtures {
    public static final String VERSION = "2.9.4";
    /** A low S2K count keeps fixtures quick; the verifier reads whatever count the message says. */
    public static final OpenPgpEncryptor ENCRYPTOR = new OpenPgpEncryptor(new OpenPgpEncryptor.Settings(
            OpenPgpEncryptor.S2kDigest.SHA256, 0x60, OpenPgpEncryptor.Compression.NONE, 1 << 16));

    private Fixtures() {
    }

    public static byte[] metadataTar() {
        return DtrMetadataTar.bytes(VERSION, true, false, false, 0);
    }

    public static byte[] imagesTar(long seed) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try {
            new RegistryTreeGenerator(RegistryTreeSpec.small(seed)).writeTar(out);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toByteArray();
    }

    /** Flips a byte inside the content of the first registry blob; returns the blob's entry name. */
    public static String rotFirstBlob(byte[] tar) throws IOException {
        try (TarArchiveInputStream in = new TarArchiveInputStream(new ByteArrayInputStream(tar), "UTF-8")) {
            TarArchiveEntry e;
            while ((e = in.getNextEntry()) != null) {
                if (e.isFile() && TarInspector.BLOB.matcher(e.getName()).find() && e.getSize() > 600) {
                    byte[] content = in.readAllBytes();
                    int at = indexOf(tar, content);
                    tar[at + 500] ^= 0x01;
                    return e.getName();
                }
            }
        }
        throw new IllegalStateException("no blob in the tar");
    }

    private static int indexOf(byte[] hay, byte[] needle) {
        outer:
        for (int i = 0; i <= hay.length - needle.length; i += 512) {
            for (int j = 0; j < 64; j++) {
                if (hay[i + j] != needle[j]) {
                    continue outer;
                }
            }
            return i;
        }
        throw new IllegalStateException("blob content not found");
    }

    public static String topFolder(byte[] tar) throws IOException {
        try (TarArchiveInputStream in = new TarArchiveInputStream(new ByteArrayInputStream(tar), "UTF-8")) {
            return in.getNextEntry().getName();
        }
    }

    public static TarListing listing(byte[] tar) throws IOException {
        TarListing listing = new TarListing();
        try (TarArchiveInputStream in = new TarArchiveInputStream(new ByteArrayInputStream(tar), "UTF-8")) {
            TarArchiveEntry e;
            while ((e = in.getNextEntry()) != null) {
                listing.add(e.getName());
            }
        }
        return listing;
    }

    public static long blobs(byte[] tar) throws IOException {
        long n = 0;
        try (TarArchiveInputStream in = new TarArchiveInputStream(new ByteArrayInputStream(tar), "UTF-8")) {
            TarArchiveEntry e;
            while ((e = in.getNextEntry()) != null) {
                if (e.isFile() && TarInspector.BLOB.matcher(e.getName()).find()) {
                    n++;
                }
            }
        }
        return n;
    }

    public static byte[] encrypt(byte[] plain, String passphrase, String name) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (OutputStream enc = ENCRYPTOR.open(out, passphrase.toCharArray(), name, Instant.now())) {
            enc.write(plain);
        }
        return out.toByteArray();
    }

    public static String sha256(byte[] b) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(b));
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The ArtifactEncrypted crypto-service would publish for this plaintext and ciphertext. */
    public static ArtifactEncrypted encrypted(String cluster, String backup, ArtifactKind kind, String artifactName,
            String objectKey, String keyId, byte[] plain, byte[] cipher) throws IOException {
        TarListing listing = listing(plain);
        return new ArtifactEncrypted(BackupEvent.CURRENT_SCHEMA_VERSION,
                EventIds.artifactEncrypted(backup, kind), backup, cluster, Instant.now(), kind,
                artifactName, objectKey, keyId, plain.length, sha256(plain), cipher.length, sha256(cipher),
                listing.entryCount(), listing.sha256(), kind == ArtifactKind.IMAGES ? blobs(plain) : null, VERSION,
                kind == ArtifactKind.METADATA ? topFolder(plain) : null, ENCRYPTOR.parameters(), 1, 42);
    }

    public static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }
}
