package io.dtrbackup.cli.bench;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;

/** What /proc says about CPU time and resident memory (Linux only; -1 when unreadable). */
final class ProcStats {
    /** USER_HZ: /proc reports CPU time in ticks of 1/100 s on Linux. */
    static final double TICKS_PER_SECOND = 100.0;

    private ProcStats() {
    }

    /** user + system CPU ticks of a process so far (field 14 + 15 of /proc/<pid>/stat). */
    static long cpuTicks(long pid) {
        return cpuTicks(pid, false);
    }

    /**
     * CPU ticks of a process so far; with {@code reapedChildren} also those of its children that
     * ended and were waited for (fields 16 + 17): containerd's include the shims it reaped.
     */
    static long cpuTicks(long pid, boolean reapedChildren) {
        try {
            String stat = Files.readString(Path.of("/proc", String.valueOf(pid), "stat"));
            // The command name (field 2) may hold spaces: count fields after its closing parenthesis.
            String[] f = stat.substring(stat.lastIndexOf(')') + 2).trim().split("\\s+");
            long own = Long.parseLong(f[11]) + Long.parseLong(f[12]);
            return reapedChildren ? own + Long.parseLong(f[13]) + Long.parseLong(f[14]) : own;
        } catch (IOException | RuntimeException e) {
            return -1;
        }
    }

    /** Peak resident set size of the process so far (VmHWM, KiB). */
    static long vmHwmKib(long pid) {
        return statusField(pid, "VmHWM:");
    }

    private static long statusField(long pid, String field) {
        try {
            for (String line : Files.readAllLines(Path.of("/proc", String.valueOf(pid), "status"))) {
                if (line.startsWith(field)) {
                    return Long.parseLong(line.replaceAll("[^0-9]", ""));
                }
            }
        } catch (IOException | RuntimeException e) {
            // gone
        }
        return -1;
    }

    /** Machine-wide CPU ticks: {busy, total} summed over all cores (/proc/stat "cpu" line). */
    static long[] machineTicks() {
        try {
            String line = Files.readAllLines(Path.of("/proc/stat")).get(0);
            String[] f = line.trim().split("\\s+");
            long total = 0;
            for (int i = 1; i < Math.min(f.length, 9); i++) { // user..steal; guest is already in user
                total += Long.parseLong(f[i]);
            }
            long idle = Long.parseLong(f[4]) + Long.parseLong(f[5]); // idle + iowait
            return new long[] {total - idle, total};
        } catch (IOException | RuntimeException e) {
            return new long[] {-1, -1};
        }
    }

    /** A live process's CPU ticks so far and its command name. */
    record Sample(String comm, long ticks) {
    }

    /** Every live process: pid -> (command name, own CPU ticks so far). */
    static Map<Long, Sample> all() {
        Map<Long, Sample> all = new HashMap<>();
        try (DirectoryStream<Path> procs = Files.newDirectoryStream(Path.of("/proc"), "[0-9]*")) {
            for (Path p : procs) {
                try {
                    long pid = Long.parseLong(p.getFileName().toString());
                    String comm = Files.readString(p.resolve("comm")).trim();
                    long t = cpuTicks(pid);
                    if (t >= 0) {
                        all.put(pid, new Sample(comm, t));
                    }
                } catch (IOException | RuntimeException gone) {
                    // ended while we looked
                }
            }
        } catch (IOException e) {
            // no /proc
        }
        return all;
    }

    /** CPU ticks so far (with reaped children) of every live process whose command name is one of {@code names}. */
    static Map<Long, Long> ticksByName(Set<String> names) {
        Map<Long, Long> ticks = new HashMap<>();
        try (DirectoryStream<Path> procs = Files.newDirectoryStream(Path.of("/proc"), "[0-9]*")) {
            for (Path p : procs) {
                try {
                    String comm = Files.readString(p.resolve("comm")).trim();
                    if (names.contains(comm)) {
                        long pid = Long.parseLong(p.getFileName().toString());
                        long t = cpuTicks(pid, true);
                        if (t >= 0) {
                            ticks.put(pid, t);
                        }
                    }
                } catch (IOException | RuntimeException gone) {
                    // the process ended while we looked
                }
            }
        } catch (IOException e) {
            // no /proc: nothing to report
        }
        return ticks;
    }

    /** CPU seconds the processes used between two {@link #ticksByName} snapshots (new ones count whole). */
    static double secondsBetween(Map<Long, Long> before, Map<Long, Long> after) {
        long sum = 0;
        for (var e : after.entrySet()) {
            sum += e.getValue() - before.getOrDefault(e.getKey(), 0L);
        }
        return sum / TICKS_PER_SECOND;
    }

    static String loadAverage() {
        try {
            String[] f = Files.readString(Path.of("/proc/loadavg")).trim().split("\\s+");
            return f[0] + " / " + f[1] + " / " + f[2];
        } catch (IOException e) {
            return "?";
        }
    }
}
