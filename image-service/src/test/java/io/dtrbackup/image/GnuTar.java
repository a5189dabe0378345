package io.dtrbackup.image;

import static org.assertj.core.api.Assertions.assertThat;

import io.dtrbackup.testsupport.RegistryTreeGenerator;
import io.dtrbackup.testsupport.RegistryTreeGenerator.Kind;
import io.dtrbackup.testsupport.RegistryTreeGenerator.TreeEntry;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFileAttributes;
import java.nio.file.attribute.PosixFilePermission;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.stream.Stream;

/** GNU tar through ProcessBuilder, and a walk of an extracted tree comparable with the generator's. */
final class GnuTar {
    private GnuTar() {
    }

    /** Runs a command, fails with its stderr on a non-zero exit; returns stdout. */
    static String run(Path workDir, String... command) throws Exception {
        Path err = Files.createTempFile(workDir, "stderr", ".txt");
        Process p = new ProcessBuilder(command).directory(workDir.toFile()).redirectError(err.toFile()).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        int code = p.waitFor();
        String stderr = Files.readString(err);
        Files.delete(err);
        assertThat(code).as(String.join(" ", command) + " failed: " + stderr).isZero();
        return out;
    }

    /** Member names in archive order, exactly as stored. */
    static List<String> list(Path workDir, Path tar) throws Exception {
        return run(workDir, "tar", "--quoting-style=literal", "-tf", tar.toString()).lines().toList();
    }

    /** The entries below {@code root} as {@link RegistryTreeGenerator#comparableEntries()} reports them. */
    static List<TreeEntry> walk(Path root) {
        List<TreeEntry> entries = new ArrayList<>();
        try (Stream<Path> paths = Files.walk(root)) {
            for (Path p : (Iterable<Path>) paths::iterator) {
                if (p.equals(root)) {
                    continue;
                }
                String rel = root.relativize(p).toString();
                PosixFileAttributes a = Files.readAttributes(p, PosixFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
                long mtime = a.lastModifiedTime().toMillis() / 1000;
                int mode = mode(a);
                if (a.isSymbolicLink()) {
                    entries.add(new TreeEntry(rel, Kind.SYMLINK, 0, null, 0777, 0, Files.readSymbolicLink(p).toString()));
                } else if (a.isDirectory()) {
                    entries.add(new TreeEntry(rel, Kind.DIRECTORY, 0, null, mode, mtime, null));
                } else {
                    entries.add(new TreeEntry(rel, Kind.FILE, a.size(), sha256(p), mode, mtime, null));
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        entries.sort((x, y) -> x.path().compareTo(y.path()));
        return entries;
    }

    private static int mode(PosixFileAttributes a) {
        int mode = 0;
        for (PosixFilePermission perm : a.permissions()) {
            mode |= switch (perm) {
                case OWNER_READ -> 0400;
                case OWNER_WRITE -> 0200;
                case OWNER_EXECUTE -> 0100;
                case GROUP_READ -> 040;
                case GROUP_WRITE -> 020;
                case GROUP_EXECUTE -> 010;
                case OTHERS_READ -> 04;
                case OTHERS_WRITE -> 02;
                case OTHERS_EXECUTE -> 01;
            };
        }
        return mode;
    }

    /** The first offset at which two files differ, or -1 when they are equal (streamed, any size). */
    static long firstDifference(Path a, Path b) throws IOException {
        try (InputStream x = new java.io.BufferedInputStream(Files.newInputStream(a), 1 << 20);
                InputStream y = new java.io.BufferedInputStream(Files.newInputStream(b), 1 << 20)) {
            byte[] bx = new byte[1 << 16];
            byte[] by = new byte[1 << 16];
            long offset = 0;
            while (true) {
                int nx = x.readNBytes(bx, 0, bx.length);
                int ny = y.readNBytes(by, 0, by.length);
                int mismatch = java.util.Arrays.mismatch(bx, 0, nx, by, 0, ny);
                if (mismatch >= 0) {
                    return offset + mismatch;
                }
                if (nx < bx.length) {
                    return -1;
                }
                offset += nx;
            }
        }
    }

    /**
     * What an offset of a tar falls in, for failure messages: the member (its PAX path when it has
     * one) and whether the offset is in its extended header, its ustar header or its data.
     */
    static String memberAt(Path tar, long offset) throws IOException {
        if (offset < 0) {
            return "-";
        }
        try (java.nio.channels.FileChannel ch = java.nio.channels.FileChannel.open(tar)) {
            java.nio.ByteBuffer block = java.nio.ByteBuffer.allocate(512);
            long pos = 0;
            long memberStart = 0;
            String paxPath = null;
            while (true) {
                block.clear();
                if (ch.read(block, pos) < 512) {
                    return "offset " + offset + ": past the last complete block (" + ch.size() + " bytes)";
                }
                byte[] h = block.array();
                if (java.util.Arrays.equals(h, new byte[512])) {
                    return "offset " + offset + ": in the end-of-archive blocks or padding (from " + pos + ")";
                }
                String name = field(h, 0, 100);
                long size = Long.parseLong(field(h, 124, 12).trim(), 8);
                long next = pos + 512 + (size + 511) / 512 * 512;
                if (h[156] == 'x') {
                    java.nio.ByteBuffer data = java.nio.ByteBuffer.allocate((int) size);
                    ch.read(data, pos + 512);
                    String records = new String(data.array(), StandardCharsets.UTF_8);
                    java.util.regex.Matcher m = java.util.regex.Pattern.compile("\\d+ path=([^\n]*)\n").matcher(records);
                    paxPath = m.find() ? m.group(1) : null;
                    if (offset < next) {
                        return "offset " + offset + ": in the extended header (" + name + ", at " + pos + ", records '"
                                + records.replace("\n", "\\n") + "') of the next member";
                    }
                    pos = next;
                    continue;
                }
                if (offset < next) {
                    String where = offset < pos + 512 ? "header byte " + (offset - pos) : "data byte " + (offset - pos - 512);
                    return "offset " + offset + ": member '" + (paxPath != null ? paxPath : name) + "' (entry from "
                            + memberStart + ", ustar header at " + pos + "), " + where;
                }
                paxPath = null;
                pos = next;
                memberStart = pos;
            }
        }
    }

    private static String field(byte[] h, int off, int len) {
        int end = off;
        while (end < off + len && h[end] != 0) {
            end++;
        }
        return new String(h, off, end - off, StandardCharsets.UTF_8);
    }

    static String sha256(Path file) throws IOException {
        try (InputStream in = Files.newInputStream(file)) {
            MessageDigest md = MessageDigest.getInstance("SHA-256");
            byte[] buf = new byte[1 << 20];
            for (int n = in.read(buf); n >= 0; n = in.read(buf)) {
                md.update(buf, 0, n);
            }
            return HexFormat.of().formatHex(md.digest());
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
