package io.dtrbackup.discovery;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The scheduler's arithmetic, without timers: which slot to fire now and which comes next. Only
 * the latest due slot fires; earlier ones that passed while the service was stalled (or the
 * clock jumped) are reported as missed rather than run back to back.
 */
public final class SlotPlanner {
    private SlotPlanner() {
    }

    /**
     * @param fire the slot to request now, if one is due
     * @param missed due slots skipped because a later one is due too
     * @param next the next slot to wait for (null when the schedule has no more)
     */
    public record Due(Optional<Instant> fire, List<Instant> missed, Instant next) {
    }

    /** The first slot to wait for at start: the latest one within {@code catchUp} before now, else the next. */
    public static Optional<Instant> firstSlot(Schedules schedule, Instant now, Duration catchUp) {
        if (!catchUp.isZero() && !catchUp.isNegative()) {
            Optional<Instant> latest = schedule.latest(now);
            if (latest.isPresent() && latest.get().isAfter(now.minus(catchUp))) {
                return latest;
            }
        }
        return schedule.next(now);
    }

    public static Due due(Schedules schedule, Instant pending, Instant now) {
        if (pending == null || pending.isAfter(now)) {
            return new Due(Optional.empty(), List.of(), pending);
        }
        List<Instant> missed = new ArrayList<>();
        Instant fire = pending;
        Instant next = schedule.next(fire).orElse(null);
        // Cap the walk: a clock jumping years ahead must not spin here.
        int steps = 0;
        while (next != null && !next.isAfter(now) && steps++ < 10_000) {
            if (missed.size() < 100) {
                missed.add(fire);
            }
            fire = next;
            next = schedule.next(fire).orElse(null);
        }
        if (next != null && !next.isAfter(now)) {
            next = schedule.next(now).orElse(null);
        }
        return new Due(Optional.of(fire), missed, next);
    }
}
