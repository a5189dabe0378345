package io.dtrbackup.verify;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.FileSystems;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.StandardWatchEventKinds;
import java.nio.file.WatchEvent;
import java.nio.file.WatchKey;
import java.nio.file.WatchService;
import java.nio.file.attribute.BasicFileAttributes;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

/**
 * Records every file or directory created or written under a tree while it is open, including one
 * created and deleted again in between (a before/after listing misses that). Built on the JDK's
 * WatchService (inotify on Linux), which sees what root does too, unlike file modes. Directories
 * created meanwhile are watched as well, and whatever they already hold is recorded.
 */
final class CreationWatch implements AutoCloseable {
    private static final Duration FLUSH_TIMEOUT = Duration.ofSeconds(10);

    private final Path root;
    private final Set<Path> excluded;
    private final WatchService service;
    private final Map<WatchKey, Path> dirs = new ConcurrentHashMap<>();
    private final List<String> seen = new CopyOnWriteArrayList<>();
    private final String sentinel = ".creation-watch-" + UUID.randomUUID();
    private volatile boolean sentinelSeen;
    private volatile boolean overflow;

    private CreationWatch(Path root, Set<Path> excluded) throws IOException {
        this.root = root.toAbsolutePath();
        this.excluded = excluded.stream().map(Path::toAbsolutePath).collect(java.util.stream.Collectors.toSet());
        this.service = FileSystems.getDefault().newWatchService();
        registerTree(this.root, false);
    }

    /** Starts watching {@code root} and its directories, except the subtrees in {@code excluded}. */
    static CreationWatch start(Path root, Set<Path> excluded) throws IOException {
        return new CreationWatch(root, excluded);
    }

    /**
     * What was created or written since the start (as "CREATE path" / "MODIFY path"). Flushes first:
     * a marker file is created and its event awaited, so every earlier event has been read.
     */
    List<String> changes() throws IOException, InterruptedException {
        Path marker = root.resolve(sentinel);
        Files.createFile(marker);
        Files.delete(marker);
        long deadline = System.nanoTime() + FLUSH_TIMEOUT.toNanos();
        while (!sentinelSeen) {
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                throw new AssertionError("the watch of " + root + " did not report its own marker file within "
                        + FLUSH_TIMEOUT + ": it cannot prove that nothing was written");
            }
            WatchKey key = service.poll(left, TimeUnit.NANOSECONDS);
            if (key != null) {
                handle(key);
            }
        }
        for (WatchKey key; (key = service.poll()) != null; ) { // signalled before the marker's event
            handle(key);
        }
        if (overflow) {
            throw new AssertionError("the watch of " + root + " overflowed: it cannot prove that nothing was written");
        }
        return List.copyOf(seen);
    }

    private void handle(WatchKey key) {
        Path dir = dirs.get(key);
        for (WatchEvent<?> event : key.pollEvents()) {
            if (event.kind() == StandardWatchEventKinds.OVERFLOW) {
                overflow = true;
                continue;
            }
            Path child = dir.resolve((Path) event.context());
            if (dir.equals(root) && child.getFileName().toString().equals(sentinel)) {
                sentinelSeen = true;
                continue;
            }
            if (excluded.stream().anyMatch(child::startsWith)) {
                continue;
            }
            seen.add((event.kind() == StandardWatchEventKinds.ENTRY_CREATE ? "CREATE " : "MODIFY ") + child);
            if (event.kind() == StandardWatchEventKinds.ENTRY_CREATE && Files.isDirectory(child, LinkOption.NOFOLLOW_LINKS)) {
                registerTree(child, true);
            }
        }
        key.reset();
    }

    /** Watches every directory of a tree; {@code recordContent}: it appeared meanwhile, so its entries are new. */
    private void registerTree(Path top, boolean recordContent) {
        try {
            Files.walkFileTree(top, new SimpleFileVisitor<>() {
                @Override
                public FileVisitResult preVisitDirectory(Path dir, BasicFileAttributes attrs) throws IOException {
                    if (excluded.stream().anyMatch(dir::startsWith)) {
                        return FileVisitResult.SKIP_SUBTREE;
                    }
                    dirs.put(dir.register(service, StandardWatchEventKinds.ENTRY_CREATE,
                            StandardWatchEventKinds.ENTRY_MODIFY), dir);
                    if (recordContent && !dir.equals(top)) {
                        seen.add("CREATE " + dir);
                    }
                    return FileVisitResult.CONTINUE;
                }

                @Override
                public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) {
                    if (recordContent) {
                        seen.add("CREATE " + file);
                    }
                    return FileVisitResult.CONTINUE;
                }

                @Override
                public FileVisitResult visitFileFailed(Path file, IOException e) throws IOException {
                    if (e instanceof NoSuchFileException) {
                        return FileVisitResult.CONTINUE; // gone again: its creation is recorded already
                    }
                    throw e;
                }
            });
        } catch (NoSuchFileException e) {
            // the new directory is gone again: its creation is recorded already
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    public void close() throws IOException {
        service.close();
    }
}
