package io.dtrbackup.cli;

import java.nio.file.Path;

/** A separate process for {@link StackLockTest}: takes the stack lock, says so, holds it until stdin closes or it is killed. */
public final class StackLockHolder {
    private StackLockHolder() {
    }

    public static void main(String[] args) throws Exception {
        try (StackLock lock = StackLock.acquire(Path.of(args[0]), Path.of(args[1]))) {
            System.out.println("locked " + lock.stateDir());
            System.out.flush();
            while (System.in.read() >= 0) {
                // Wait for the test to close our stdin (or to kill us).
            }
        }
    }
}
