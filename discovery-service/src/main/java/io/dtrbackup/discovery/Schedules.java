package io.dtrbackup.discovery;

import com.cronutils.model.Cron;
import com.cronutils.model.CronType;
import com.cronutils.model.definition.CronDefinitionBuilder;
import com.cronutils.model.time.ExecutionTime;
import com.cronutils.parser.CronParser;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.util.Optional;

/** A cluster's cron schedule (UNIX five fields, UTC), as slot instants. */
public final class Schedules {
    private static final CronParser PARSER = new CronParser(CronDefinitionBuilder.instanceDefinitionFor(CronType.UNIX));

    private final String expression;
    private final ExecutionTime execution;

    private Schedules(String expression, Cron cron) {
        this.expression = expression;
        this.execution = ExecutionTime.forCron(cron);
    }

    public static Schedules parse(String expression) {
        Cron cron = PARSER.parse(expression);
        cron.validate();
        return new Schedules(expression, cron);
    }

    /** The first slot strictly after {@code after}. */
    public Optional<Instant> next(Instant after) {
        return execution.nextExecution(ZonedDateTime.ofInstant(after, ZoneOffset.UTC)).map(ZonedDateTime::toInstant);
    }

    /** The last slot at or before {@code atOrBefore}. */
    public Optional<Instant> latest(Instant atOrBefore) {
        // lastExecution is strictly before its argument; slots are whole seconds at least.
        ZonedDateTime after = ZonedDateTime.ofInstant(atOrBefore, ZoneOffset.UTC).withNano(0).plusSeconds(1);
        return execution.lastExecution(after).map(ZonedDateTime::toInstant);
    }

    public String expression() {
        return expression;
    }
}
