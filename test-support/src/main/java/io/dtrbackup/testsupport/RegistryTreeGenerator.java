package io.dtrbackup.testsupport;

import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermission;
import java.security.DigestOutputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.TreeMap;

import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;
import org.apache.commons.compress.archivers.tar.TarConstants;

/**
 * Generates a Docker registry v2 storage tree from a {@link RegistryTreeSpec}, deterministically:
 * {@code docker/registry/v2/blobs/sha256/<2>/<digest>/data} (digest = the real SHA-256 of data),
 * repositories with {@code _layers}, {@code _manifests/revisions} and {@code _manifests/tags}
 * link files, plus odd names, a symlink and an empty folder when asked. Blob bytes are produced
 * on the fly from the seed, so large trees never sit in memory; digests are computed once when
 * the generator is built (one streaming pass per blob).
 *
 * <p>Paths are relative to the volume root (no leading slash, directories without trailing
 * slash) and sorted, so parents precede children.
 */
public final class RegistryTreeGenerator {
    /** 2023-01-01T00:00:00Z: mtimes spread over the year after it. */
    private static final long BASE_MTIME = 1_672_531_200L;
    private static final String V2 = "docker/registry/v2";
    private static final int BUFFER = 1 << 16;

    public enum Kind { DIRECTORY, FILE, SYMLINK }

    /**
     * One file-system object of the tree. {@code sha256} is set for files only, {@code linkTarget}
     * for symlinks only; {@code mode} holds the permission bits (07777).
     */
    public record TreeEntry(String path, Kind kind, long size, String sha256, int mode, long mtimeEpochSecond,
            String linkTarget) {
    }

    private interface Content {
        long size();

        void writeTo(OutputStream out) throws IOException;
    }

    private record Bytes(byte[] bytes) implements Content {
        public long size() {
            return bytes.length;
        }

        public void writeTo(OutputStream out) throws IOException {
            out.write(bytes);
        }
    }

    /** Incompressible pseudo-random bytes, like real (already gzipped) layers. */
    private record RandomBytes(long seed, long size) implements Content {
        public void writeTo(OutputStream out) throws IOException {
            SplittableRandom random = new SplittableRandom(seed);
            byte[] buf = new byte[BUFFER];
            long left = size;
            while (left > 0) {
                int n = (int) Math.min(buf.length, left);
                for (int i = 0; i < n; i += 8) {
                    long v = random.nextLong();
                    for (int j = 0; j < 8 && i + j < n; j++) {
                        buf[i + j] = (byte) (v >>> (j * 8));
                    }
                }
                out.write(buf, 0, n);
                left -= n;
            }
        }
    }

    private record Node(TreeEntry entry, Content content) {
    }

    private record Blob(String digest, long size) {
    }

    private final RegistryTreeSpec spec;
    private final TreeMap<String, Node> nodes = new TreeMap<>();

    public RegistryTreeGenerator(RegistryTreeSpec spec) {
        this.spec = spec;
        plan();
    }

    public RegistryTreeSpec spec() {
        return spec;
    }

    /** Every entry of the tree, sorted by path (parents first). */
    public List<TreeEntry> entries() {
        List<TreeEntry> list = new ArrayList<>(nodes.size());
        nodes.values().forEach(n -> list.add(n.entry()));
        return Collections.unmodifiableList(list);
    }

    /** Paths of all entries, sorted. */
    public List<String> paths() {
        return List.copyOf(nodes.keySet());
    }

    /** Sum of the file sizes (what the volume's content weighs). */
    public long totalBytes() {
        return nodes.values().stream().filter(n -> n.content() != null).mapToLong(n -> n.content().size()).sum();
    }

    /** The digests (hex, no prefix) of all blobs under {@code blobs/sha256}. */
    public List<String> blobDigests() {
        List<String> digests = new ArrayList<>();
        for (String path : nodes.keySet()) {
            if (path.startsWith(V2 + "/blobs/sha256/") && path.endsWith("/data")) {
                String[] parts = path.split("/");
                digests.add(parts[parts.length - 2]);
            }
        }
        return digests;
    }

    /**
     * Writes the tree as a tar stream (PAX headers for long and non-ASCII names, modes, mtimes
     * and the symlink preserved), entry names relative to the volume root. Streaming: memory use
     * does not grow with the tree. Does not close {@code out}.
     */
    public void writeTar(OutputStream out) throws IOException {
        // Commons Compress writes 512-byte records: a big buffer keeps syscalls few.
        BufferedOutputStream buffered = new BufferedOutputStream(new NonClosing(out), 1 << 20);
        TarArchiveOutputStream tar = new TarArchiveOutputStream(buffered, 512, StandardCharsets.UTF_8.name());
        tar.setLongFileMode(TarArchiveOutputStream.LONGFILE_POSIX);
        tar.setBigNumberMode(TarArchiveOutputStream.BIGNUMBER_POSIX);
        tar.setAddPaxHeadersForNonAsciiNames(true);
        for (Node node : nodes.values()) {
            TreeEntry e = node.entry();
            TarArchiveEntry te;
            switch (e.kind()) {
                case DIRECTORY -> {
                    te = new TarArchiveEntry(e.path() + "/", TarConstants.LF_DIR);
                    te.setMode(040000 | e.mode());
                }
                case SYMLINK -> {
                    te = new TarArchiveEntry(e.path(), TarConstants.LF_SYMLINK);
                    te.setLinkName(e.linkTarget());
                    te.setMode(0120000 | e.mode());
                }
                default -> {
                    te = new TarArchiveEntry(e.path(), TarConstants.LF_NORMAL);
                    te.setMode(0100000 | e.mode());
                    te.setSize(e.size());
                }
            }
            te.setModTime(e.mtimeEpochSecond() * 1000L);
            te.setIds(0, 0);
            te.setNames("root", "root");
            tar.putArchiveEntry(te);
            if (node.content() != null) {
                node.content().writeTo(tar);
            }
            tar.closeArchiveEntry();
        }
        tar.finish();
        tar.close(); // closes only the buffer: NonClosing keeps the caller's stream open
    }

    /** Writes the same tree below {@code dir} on local disk (modes, mtimes, symlink). */
    public Path generateTo(Path dir) {
        try {
            Files.createDirectories(dir);
            for (Node node : nodes.values()) {
                TreeEntry e = node.entry();
                Path p = dir.resolve(e.path());
                switch (e.kind()) {
                    case DIRECTORY -> Files.createDirectories(p);
                    case SYMLINK -> Files.createSymbolicLink(p, Path.of(e.linkTarget()));
                    default -> {
                        try (OutputStream out = new BufferedOutputStream(Files.newOutputStream(p), BUFFER)) {
                            node.content().writeTo(out);
                        }
                    }
                }
            }
            // Children first, so setting a file's time does not move its folder's mtime again.
            List<Node> reversed = new ArrayList<>(nodes.values());
            Collections.reverse(reversed);
            for (Node node : reversed) {
                TreeEntry e = node.entry();
                if (e.kind() == Kind.SYMLINK) {
                    continue; // Java cannot set a symlink's own mode or time portably
                }
                Path p = dir.resolve(e.path());
                Files.setPosixFilePermissions(p, permissions(e.mode()));
                Files.setLastModifiedTime(p, FileTime.fromMillis(e.mtimeEpochSecond() * 1000L));
            }
            return dir;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * Reads a tar stream (e.g. the Docker archive of the volume) back into entries comparable
     * with {@link #entries()}: names have {@code stripPrefix} removed, the root entry itself is
     * dropped, file contents are hashed.
     */
    public static List<TreeEntry> readTar(InputStream in, String stripPrefix) throws IOException {
        String prefix = stripPrefix == null ? "" : stripPrefix;
        List<TreeEntry> out = new ArrayList<>();
        TarArchiveInputStream tar = new TarArchiveInputStream(in, StandardCharsets.UTF_8.name());
        byte[] buf = new byte[BUFFER];
        for (TarArchiveEntry te = tar.getNextEntry(); te != null; te = tar.getNextEntry()) {
            String name = te.getName();
            if (name.startsWith("./")) {
                name = name.substring(2);
            }
            if (!name.startsWith(prefix)) {
                continue;
            }
            name = name.substring(prefix.length());
            while (name.endsWith("/")) {
                name = name.substring(0, name.length() - 1);
            }
            if (name.isEmpty() || name.equals(".")) {
                continue;
            }
            long mtime = te.getModTime().getTime() / 1000L;
            int mode = te.getMode() & 07777;
            if (te.isDirectory()) {
                out.add(new TreeEntry(name, Kind.DIRECTORY, 0, null, mode, mtime, null));
            } else if (te.isSymbolicLink()) {
                out.add(new TreeEntry(name, Kind.SYMLINK, 0, null, 0777, 0, te.getLinkName()));
            } else {
                MessageDigest md = sha256();
                long size = 0;
                for (int n = tar.read(buf); n >= 0; n = tar.read(buf)) {
                    md.update(buf, 0, n);
                    size += n;
                }
                out.add(new TreeEntry(name, Kind.FILE, size, HexFormat.of().formatHex(md.digest()), mode, mtime, null));
            }
        }
        out.sort((a, b) -> a.path().compareTo(b.path()));
        return out;
    }

    /**
     * {@link #entries()} as {@link #readTar} reports them (symlink times are not compared: not
     * every tool preserves them).
     */
    public List<TreeEntry> comparableEntries() {
        return entries().stream()
                .map(e -> e.kind() == Kind.SYMLINK ? new TreeEntry(e.path(), e.kind(), 0, null, 0777, 0, e.linkTarget()) : e)
                .toList();
    }

    // ---------------------------------------------------------------------------------- plan

    private void plan() {
        SplittableRandom random = new SplittableRandom(spec.seed());
        List<Blob> layers = new ArrayList<>();
        for (int i = 0; i < spec.smallBlobs(); i++) {
            long size = spec.smallBlobMinBytes()
                    + random.nextLong(spec.smallBlobMaxBytes() - (long) spec.smallBlobMinBytes() + 1);
            layers.add(addBlob(new RandomBytes(mix(spec.seed(), 1000 + i), size), 0644));
        }
        for (int i = 0; i < spec.largeBlobs(); i++) {
            layers.add(addBlob(new RandomBytes(mix(spec.seed(), 900_000 + i), spec.largeBlobBytes()), 0644));
        }

        List<String> repos = new ArrayList<>();
        for (int r = 0; r < spec.repositories(); r++) {
            repos.add("library/app-" + r);
        }
        if (spec.oddNames()) {
            repos.add("ünïcødé-репо/образ-ñ");
            // Two components over 100 chars: the path is well over 255 bytes (ustar's limit).
            repos.add("team-" + "a".repeat(110) + "/image-" + "b".repeat(120));
        }

        Map<String, List<Blob>> repoLayers = new TreeMap<>();
        for (String repo : repos) {
            repoLayers.put(repo, new ArrayList<>());
        }
        for (int i = 0; i < layers.size(); i++) {
            repoLayers.get(repos.get(i % repos.size())).add(layers.get(i));
        }

        int fileNo = 0;
        for (String repo : repos) {
            String base = V2 + "/repositories/" + repo;
            List<Blob> own = repoLayers.get(repo);
            for (Blob layer : own) {
                addLink(base + "/_layers/sha256/" + layer.digest() + "/link", layer.digest(), fileNo++);
            }
            for (int t = 0; t < spec.tagsPerRepository(); t++) {
                String tag = t == 0 ? "latest" : "v1." + t;
                String config = "{\"architecture\":\"amd64\",\"os\":\"linux\",\"created\":\"2023-0"
                        + (1 + t % 9) + "-01T00:00:00Z\",\"config\":{\"Labels\":{\"repo\":\"" + repo
                        + "\",\"tag\":\"" + tag + "\"}},\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[]}}";
                Blob configBlob = addBlob(new Bytes(config.getBytes(StandardCharsets.UTF_8)), 0600);
                StringBuilder manifest = new StringBuilder()
                        .append("{\"schemaVersion\":2,\"mediaType\":\"application/vnd.docker.distribution.manifest.v2+json\",")
                        .append("\"config\":{\"mediaType\":\"application/vnd.docker.container.image.v1+json\",\"size\":")
                        .append(configBlob.size()).append(",\"digest\":\"sha256:").append(configBlob.digest()).append("\"},")
                        .append("\"layers\":[");
                for (int l = 0; l < own.size(); l++) {
                    Blob layer = own.get(l);
                    manifest.append(l == 0 ? "" : ",")
                            .append("{\"mediaType\":\"application/vnd.docker.image.rootfs.diff.tar.gzip\",\"size\":")
                            .append(layer.size()).append(",\"digest\":\"sha256:").append(layer.digest()).append("\"}");
                }
                manifest.append("]}");
                Blob manifestBlob = addBlob(new Bytes(manifest.toString().getBytes(StandardCharsets.UTF_8)), 0644);
                addLink(base + "/_layers/sha256/" + configBlob.digest() + "/link", configBlob.digest(), fileNo++);
                addLink(base + "/_manifests/revisions/sha256/" + manifestBlob.digest() + "/link", manifestBlob.digest(), fileNo++);
                addLink(base + "/_manifests/tags/" + tag + "/current/link", manifestBlob.digest(), fileNo++);
                addLink(base + "/_manifests/tags/" + tag + "/index/sha256/" + manifestBlob.digest() + "/link",
                        manifestBlob.digest(), fileNo++);
            }
        }
        if (spec.oddNames()) {
            // An in-progress upload folder, empty and private, as the registry leaves them.
            addDirs(V2 + "/repositories/library/app-0/_uploads", 0700);
            addNode(new TreeEntry(V2 + "/repositories/library/app-0-alias", Kind.SYMLINK, 0, null, 0777,
                    mtime(V2 + "/repositories/library/app-0-alias"), "app-0"), null);
        }
    }

    private Blob addBlob(Content content, int mode) {
        String digest = digest(content);
        String path = V2 + "/blobs/sha256/" + digest.substring(0, 2) + "/" + digest + "/data";
        if (!nodes.containsKey(path)) {
            addFile(path, content, mode);
        }
        return new Blob(digest, content.size());
    }

    private void addLink(String path, String digest, int fileNo) {
        // A few group-writable link files: real volumes are not uniform either.
        addFile(path, new Bytes(("sha256:" + digest).getBytes(StandardCharsets.US_ASCII)), fileNo % 5 == 4 ? 0664 : 0644);
    }

    private void addFile(String path, Content content, int mode) {
        int slash = path.lastIndexOf('/');
        addDirs(path.substring(0, slash), 0755);
        addNode(new TreeEntry(path, Kind.FILE, content.size(), digest(content), mode, mtime(path), null), content);
    }

    private void addDirs(String dir, int leafMode) {
        String[] parts = dir.split("/");
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < parts.length; i++) {
            if (i > 0) {
                sb.append('/');
            }
            sb.append(parts[i]);
            String p = sb.toString();
            if (!nodes.containsKey(p)) {
                int mode = i == parts.length - 1 ? leafMode : 0755;
                addNode(new TreeEntry(p, Kind.DIRECTORY, 0, null, mode, mtime(p), null), null);
            }
        }
    }

    private void addNode(TreeEntry e, Content c) {
        nodes.put(e.path(), new Node(e, c));
    }

    private long mtime(String path) {
        return BASE_MTIME + Math.floorMod(mix(spec.seed(), path.hashCode()), 365L * 86_400L);
    }

    private final Map<Content, String> digestCache = new java.util.HashMap<>();

    private String digest(Content content) {
        return digestCache.computeIfAbsent(content, c -> {
            MessageDigest md = sha256();
            try (OutputStream out = new DigestOutputStream(OutputStream.nullOutputStream(), md)) {
                c.writeTo(out);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            return HexFormat.of().formatHex(md.digest());
        });
    }

    private static long mix(long seed, long salt) {
        long z = seed * 0x9E3779B97F4A7C15L + salt * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }

    static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private static Set<PosixFilePermission> permissions(int mode) {
        Set<PosixFilePermission> set = EnumSet.noneOf(PosixFilePermission.class);
        PosixFilePermission[] order = {
            PosixFilePermission.OTHERS_EXECUTE, PosixFilePermission.OTHERS_WRITE, PosixFilePermission.OTHERS_READ,
            PosixFilePermission.GROUP_EXECUTE, PosixFilePermission.GROUP_WRITE, PosixFilePermission.GROUP_READ,
            PosixFilePermission.OWNER_EXECUTE, PosixFilePermission.OWNER_WRITE, PosixFilePermission.OWNER_READ};
        for (int i = 0; i < order.length; i++) {
            if ((mode & (1 << i)) != 0) {
                set.add(order[i]);
            }
        }
        return set;
    }

    /** Lets a tar stream be finished and closed without closing the caller's stream. */
    static final class NonClosing extends java.io.FilterOutputStream {
        NonClosing(OutputStream out) {
            super(out);
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
            out.write(b, off, len);
        }

        @Override
        public void close() throws IOException {
            out.flush();
        }
    }
}
