package io.dtrbackup.contract.events;

import java.lang.annotation.ElementType;
import java.lang.annotation.Repeatable;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * What an event record's compact constructor requires of its components, said where
 * {@link EventSchemas} can read it: reflection sees a component's type but not the
 * {@link Checks} calls in the constructor. A component without a rule may be absent or null
 * (primitives excepted: the codec rejects a missing or null primitive).
 *
 * <p>The constructor stays the enforcer; {@code EventSchemasTest} proves for every event type that
 * the generated schema accepts exactly what the codec accepts, so a rule here that drifts from
 * its {@code Checks} call fails the build. The envelope's rules sit once on {@link BackupEvent}'s
 * accessors; a record component's own rule overrides them (BackupOverdue's optional backupId).
 */
public final class Rules {
    private Rules() {
    }

    /** Present and not null ({@link Checks#present}). */
    @Retention(RetentionPolicy.RUNTIME)
    @Target({ElementType.RECORD_COMPONENT, ElementType.METHOD})
    public @interface Required {
    }

    /** Present and not blank ({@link Checks#text}). */
    @Retention(RetentionPolicy.RUNTIME)
    @Target({ElementType.RECORD_COMPONENT, ElementType.METHOD})
    public @interface Text {
    }

    /** The whole value matches a regular expression of {@link Checks} ({@link Checks#ID}, {@link Checks#SHA256}, ...). */
    @Retention(RetentionPolicy.RUNTIME)
    @Target({ElementType.RECORD_COMPONENT, ElementType.METHOD})
    public @interface Matches {
        String value();

        /** False: may be absent or null, and matches when present. */
        boolean required() default true;
    }

    /** A number that is at least 0 ({@link Checks#nonNegative}). */
    @Retention(RetentionPolicy.RUNTIME)
    @Target({ElementType.RECORD_COMPONENT, ElementType.METHOD})
    public @interface NonNegative {
    }

    /** Required, and only these constants of the component's enum. */
    @Retention(RetentionPolicy.RUNTIME)
    @Target(ElementType.RECORD_COMPONENT)
    public @interface OnlyValues {
        String[] value();
    }

    /** A required list that contains this value (an enum constant's name). */
    @Retention(RetentionPolicy.RUNTIME)
    @Target(ElementType.RECORD_COMPONENT)
    public @interface Contains {
        String value();
    }

    /**
     * A rule between components: when {@code component} has one of the values {@code in} (enum
     * constant names, or {@code true}/{@code false}), the components named in {@code text} are
     * required and not blank, those in {@code empty} are empty lists and those in
     * {@code nonEmpty} are lists with at least one element.
     */
    @Retention(RetentionPolicy.RUNTIME)
    @Target(ElementType.TYPE)
    @Repeatable(When.List.class)
    public @interface When {
        String component();

        String[] in();

        String[] text() default {};

        String[] empty() default {};

        String[] nonEmpty() default {};

        /** The container of repeated {@link When} rules. */
        @Retention(RetentionPolicy.RUNTIME)
        @Target(ElementType.TYPE)
        @interface List {
            When[] value();
        }
    }
}
