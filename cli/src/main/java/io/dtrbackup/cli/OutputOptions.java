package io.dtrbackup.cli;

import java.io.PrintWriter;
import java.util.Locale;
import picocli.CommandLine;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code --output text|json}, shared by the commands scripts read ({@code list}, {@code show},
 * {@code clusters}, {@code watch --once}). In json mode the command prints exactly one JSON document
 * ({@link JsonOutput}) on stdout and everything else (notes, "wrote FILE") on stderr; exit codes do
 * not change. On an error nothing is printed on stdout: the message goes to stderr and the exit code
 * is non-zero, as in text mode, so a script checks the exit code before it parses.
 */
public final class OutputOptions {
    /** The output formats. */
    public enum Format {
        TEXT, JSON;

        /** How it is spelled on the command line. */
        public String id() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    /** The spellings, for the usage text and shell completion. */
    static final class Formats implements Iterable<String> {
        @Override
        public java.util.Iterator<String> iterator() {
            return java.util.Arrays.stream(Format.values()).map(Format::id).iterator();
        }
    }

    static final class FormatConverter implements CommandLine.ITypeConverter<Format> {
        @Override
        public Format convert(String value) {
            for (Format f : Format.values()) {
                if (f.id().equals(value.toLowerCase(Locale.ROOT))) {
                    return f;
                }
            }
            throw new CommandLine.TypeConversionException("'" + value + "' is not an output format: use "
                    + String.join(" or ", new Formats()));
        }
    }

    @Option(names = "--output", paramLabel = "FORMAT", defaultValue = "text", converter = FormatConverter.class,
            completionCandidates = Formats.class,
            description = "text (default) or json: one JSON document on stdout, its fields in docs/operations.md "
                    + "(\"Scripting the CLI\"); messages go to stderr")
    Format format = Format.TEXT;

    @Spec(Spec.Target.MIXEE)
    CommandSpec mixee;

    boolean json() {
        return format == Format.JSON;
    }

    /** Where a command's notes go: stdout in text mode, stderr in json mode (stdout holds only the document). */
    PrintWriter notes() {
        return json() ? mixee.commandLine().getErr() : mixee.commandLine().getOut();
    }

    /** Prints the document on stdout. */
    void print(Object document) {
        PrintWriter out = mixee.commandLine().getOut();
        out.println(JsonOutput.write(document));
        out.flush();
    }
}
