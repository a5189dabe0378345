package io.dtrbackup.verify;

import static org.assertj.core.api.Assertions.assertThat;

import io.dtrbackup.common.crypto.OpenPgpEncryptor;
import io.dtrbackup.contract.events.ArtifactEncrypted;
import io.dtrbackup.contract.events.ArtifactKind;
import io.dtrbackup.common.store.InMemoryObjectStore;
import io.dtrbackup.testsupport.DtrMetadataTar;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The checks beyond decryption, on an in-memory store. */
class ArtifactVerifierTest {
    static final String BUCKET = "b";
    static final String PASS = "pw";
    final InMemoryObjectStore store = new InMemoryObjectStore();
    final ArtifactVerifier verifier = new ArtifactVerifier(store, BUCKET,
            id -> id.equals("k1") ? PASS.toCharArray() : null, List.of("properties", "repositories", "tags"), true);

    ArtifactEncrypted stored(ArtifactKind kind, byte[] plain, byte[] cipher) throws Exception {
        store.ensureBucket(BUCKET);
        String key = "c/bk/" + kind.id() + ".tar.gpg";
        store.put(BUCKET, key, new ByteArrayInputStream(cipher), cipher.length, Map.of(), "application/octet-stream");
        return Fixtures.encrypted("c", "bk", kind, "x.tar", key, "k1", plain, cipher);
    }

    VerificationResult verify(ArtifactEncrypted e) {
        return verifier.verify("bk", "c", Expectation.of(e), false, n -> { });
    }

    @Test
    void anIntactMetadataBackupVerifies() throws Exception {
        byte[] tar = Fixtures.metadataTar();
        VerificationResult r = verify(stored(ArtifactKind.METADATA, tar, Fixtures.encrypt(tar, PASS, "m.tar")));
        assertThat(r.verified()).as(r.reason()).isTrue();
        assertThat(r.tables()).contains("properties", "repositories", "tags", "events");
        assertThat(r.documentsParsed()).isPositive();
        assertThat(r.topFolder()).isEqualTo("dtr-backup-v2.9.4-online/");
        assertThat(r.plaintextSha256()).isEqualTo(Fixtures.sha256(tar));
    }

    @Test
    void aMissingTableIsNamed() throws Exception {
        // --ignore-events-table leaves out 'events': require it to see the failure
        byte[] tar = DtrMetadataTar.bytes("2.9.4", true, true, false, 0);
        ArtifactVerifier strict = new ArtifactVerifier(store, BUCKET, id -> PASS.toCharArray(),
                List.of("properties", "events"), true);
        VerificationResult r = strict.verify("bk", "c",
                Expectation.of(stored(ArtifactKind.METADATA, tar, Fixtures.encrypt(tar, PASS, "m.tar"))), false, n -> { });
        assertThat(r.verified()).isFalse();
        assertThat(r.reason()).startsWith("missing table: rethink/events");
    }

    @Test
    void aListingOrDigestThatDiffersFromTheProducersRecordFails() throws Exception {
        byte[] tar = Fixtures.metadataTar();
        ArtifactEncrypted e = stored(ArtifactKind.METADATA, tar, Fixtures.encrypt(tar, PASS, "m.tar"));
        ArtifactEncrypted wrongListing = new ArtifactEncrypted(e.schemaVersion(), e.eventId(), e.backupId(), e.clusterId(),
                e.occurredAt(), e.kind(), e.artifactName(), e.objectKey(), e.keyId(), e.plaintextSize(), "b".repeat(64),
                e.ciphertextSize(), e.ciphertextSha256(), e.entryCount() + 1, "c".repeat(64), e.blobCount(), e.dtrVersion(),
                e.topFolder(), e.encryption(), e.formatVersion(), e.durationMs());
        VerificationResult r = verify(wrongListing);
        assertThat(r.verified()).isFalse();
        assertThat(r.problems()).anyMatch(p -> p.startsWith("plaintext digest mismatch"))
                .anyMatch(p -> p.startsWith("listing mismatch"));
    }

    @Test
    void aWrongDtrVersionIsAnUnexpectedTopFolder() throws Exception {
        byte[] tar = DtrMetadataTar.bytes("2.7.5", false, false, false, 0);
        VerificationResult r = verify(stored(ArtifactKind.METADATA, tar, Fixtures.encrypt(tar, PASS, "m.tar")));
        assertThat(r.reason()).startsWith("unexpected top folder: 'dtr-backup-v2.7.5/'");
    }

    @Test
    void aCompressedArtifactFallsBackToBouncyCastleAndStillVerifies() throws Exception {
        byte[] tar = Fixtures.imagesTar(5);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        OpenPgpEncryptor zlib = new OpenPgpEncryptor(new OpenPgpEncryptor.Settings(OpenPgpEncryptor.S2kDigest.SHA256,
                0x60, OpenPgpEncryptor.Compression.ZLIB, 1 << 16));
        try (OutputStream enc = zlib.open(out, PASS.toCharArray(), "i.tar", Instant.now())) {
            enc.write(tar);
        }
        VerificationResult r = verify(stored(ArtifactKind.IMAGES, tar, out.toByteArray()));
        assertThat(r.verified()).as(r.reason()).isTrue();
        assertThat(r.method()).isEqualTo("bouncycastle");
        assertThat(r.blobsChecked()).isEqualTo(Fixtures.blobs(tar));
    }

    @Test
    void anUnknownKeyIdIsSaidSo() throws Exception {
        byte[] tar = Fixtures.metadataTar();
        ArtifactEncrypted e = stored(ArtifactKind.METADATA, tar, Fixtures.encrypt(tar, PASS, "m.tar"));
        VerificationResult r = verifier.verify("bk", "c", new Expectation(e.kind(), e.objectKey(), "k9",
                e.ciphertextSize(), e.ciphertextSha256(), e.plaintextSize(), e.plaintextSha256(), e.entryCount(),
                e.listingSha256(), e.dtrVersion(), e.topFolder(), null), false, n -> { });
        assertThat(r.reason()).startsWith("unknown key ID: no passphrase for key ID 'k9'");
    }
}
