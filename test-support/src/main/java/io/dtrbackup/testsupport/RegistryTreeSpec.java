package io.dtrbackup.testsupport;

/**
 * What a simulated registry volume holds. The same spec (same seed) always gives the same tree,
 * byte for byte, so a test can regenerate the expectation instead of storing it.
 *
 * @param seed              drives every size, byte and timestamp
 * @param repositories      plain repositories ({@code library/app-<n>})
 * @param tagsPerRepository tags per repository, each with its own manifest and config blob
 * @param smallBlobs        layer blobs of {@code smallBlobMinBytes..smallBlobMaxBytes}
 * @param smallBlobMinBytes smallest small blob
 * @param smallBlobMaxBytes largest small blob
 * @param largeBlobs        layer blobs of exactly {@code largeBlobBytes}, generated streaming
 * @param largeBlobBytes    size of each large blob
 * @param oddNames          adds a non-ASCII repository, one with &gt;100-char path components and
 *                          &gt;255-byte paths, a symlink and an empty folder
 */
public record RegistryTreeSpec(long seed, int repositories, int tagsPerRepository, int smallBlobs,
        int smallBlobMinBytes, int smallBlobMaxBytes, int largeBlobs, long largeBlobBytes, boolean oddNames) {

    public RegistryTreeSpec {
        if (repositories < 1 || tagsPerRepository < 1 || smallBlobs < 0 || largeBlobs < 0
                || smallBlobMinBytes < 1 || smallBlobMaxBytes < smallBlobMinBytes || largeBlobBytes < 0) {
            throw new IllegalArgumentException("invalid tree spec " + this);
        }
    }

    /** A few MB: 3 repositories, 2 tags each, 12 small blobs (1 KiB – 256 KiB), odd names. */
    public static RegistryTreeSpec small(long seed) {
        return new RegistryTreeSpec(seed, 3, 2, 12, 1024, 256 * 1024, 0, 0, true);
    }

    /** Like {@link #small} plus {@code count} large blobs of {@code bytes} each. */
    public static RegistryTreeSpec withLarge(long seed, int count, long bytes) {
        return small(seed).withLargeBlobs(count, bytes);
    }

    public RegistryTreeSpec withSeed(long newSeed) {
        return new RegistryTreeSpec(newSeed, repositories, tagsPerRepository, smallBlobs, smallBlobMinBytes,
                smallBlobMaxBytes, largeBlobs, largeBlobBytes, oddNames);
    }

    public RegistryTreeSpec withRepositories(int count, int tags) {
        return new RegistryTreeSpec(seed, count, tags, smallBlobs, smallBlobMinBytes, smallBlobMaxBytes,
                largeBlobs, largeBlobBytes, oddNames);
    }

    public RegistryTreeSpec withSmallBlobs(int count, int minBytes, int maxBytes) {
        return new RegistryTreeSpec(seed, repositories, tagsPerRepository, count, minBytes, maxBytes,
                largeBlobs, largeBlobBytes, oddNames);
    }

    public RegistryTreeSpec withLargeBlobs(int count, long bytes) {
        return new RegistryTreeSpec(seed, repositories, tagsPerRepository, smallBlobs, smallBlobMinBytes,
                smallBlobMaxBytes, count, bytes, oddNames);
    }

    public RegistryTreeSpec withOddNames(boolean on) {
        return new RegistryTreeSpec(seed, repositories, tagsPerRepository, smallBlobs, smallBlobMinBytes,
                smallBlobMaxBytes, largeBlobs, largeBlobBytes, on);
    }
}
