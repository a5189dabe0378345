package io.dtrbackup.verify;

import static org.assertj.core.api.Assertions.assertThat;

import io.dtrbackup.common.archive.TarListing;
import io.dtrbackup.contract.events.ArtifactKind;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

/**
 * The walk over a plaintext tar: the listing and blob count match an independent reader (Commons
 * Compress, in {@link Fixtures}), so listings recorded earlier still compare equal.
 */
class TarInspectorTest {

    private static TarReport inspect(ArtifactKind kind, byte[] tar) throws IOException {
        return new TarInspector(kind, n -> { }).consume(new ByteArrayInputStream(tar));
    }

    @Test
    void imagesListAndCountAsAnIndependentReaderDoes() throws IOException {
        byte[] tar = Fixtures.imagesTar(7);
        TarReport report = inspect(ArtifactKind.IMAGES, tar);
        TarListing expected = Fixtures.listing(tar);
        assertThat(report.problems()).isEmpty();
        assertThat(report.size()).isEqualTo(tar.length);
        assertThat(report.entryCount()).isEqualTo(expected.entryCount());
        assertThat(report.listingSha256()).isEqualTo(expected.sha256());
        assertThat(report.blobsChecked()).isEqualTo(Fixtures.blobs(tar)).isPositive();
    }

    @Test
    void metadataListsAsAnIndependentReaderDoes() throws IOException {
        byte[] tar = Fixtures.metadataTar();
        TarReport report = inspect(ArtifactKind.METADATA, tar);
        TarListing expected = Fixtures.listing(tar);
        assertThat(report.problems()).isEmpty();
        assertThat(report.listingSha256()).isEqualTo(expected.sha256());
        assertThat(report.topFolder()).isEqualTo(Fixtures.topFolder(tar));
        assertThat(report.tables()).contains("properties");
        assertThat(report.documents()).isPositive();
    }

    @Test
    void aPlaintextWithoutTheEndBlocksIsWalkedToItsLastEntry() throws IOException {
        byte[] tar = Fixtures.metadataTar();
        byte[] noEnd = Arrays.copyOf(tar, tar.length - 1024); // the stand-in's end-of-archive blocks removed
        TarReport report = inspect(ArtifactKind.METADATA, noEnd);
        assertThat(report.problems()).isEmpty();
        assertThat(report.size()).isEqualTo(noEnd.length);
        assertThat(report.listingSha256()).isEqualTo(Fixtures.listing(tar).sha256());
    }

    @Test
    void aRottenBlobIsNamed() throws IOException {
        byte[] tar = Fixtures.imagesTar(8);
        String blob = Fixtures.rotFirstBlob(tar);
        assertThat(inspect(ArtifactKind.IMAGES, tar).problems())
                .anyMatch(p -> p.startsWith("blob digest mismatch: " + blob));
    }
}
