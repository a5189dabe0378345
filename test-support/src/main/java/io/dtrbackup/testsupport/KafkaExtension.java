package io.dtrbackup.testsupport;

import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.ParameterContext;
import org.junit.jupiter.api.extension.ParameterResolver;

/**
 * One {@link EmbeddedKafka} per test JVM, started on first use and closed when JUnit closes its
 * root store (end of the run). Resolves {@code EmbeddedKafka} parameters of constructors,
 * lifecycle methods and test methods.
 */
public final class KafkaExtension implements ParameterResolver {
    private static final ExtensionContext.Namespace NS = ExtensionContext.Namespace.create(KafkaExtension.class);

    @Override
    public boolean supportsParameter(ParameterContext parameterContext, ExtensionContext extensionContext) {
        return parameterContext.getParameter().getType() == EmbeddedKafka.class;
    }

    @Override
    public Object resolveParameter(ParameterContext parameterContext, ExtensionContext extensionContext) {
        return kafka(extensionContext);
    }

    /** The JVM-wide broker, for extensions or code that has an ExtensionContext. */
    public static EmbeddedKafka kafka(ExtensionContext context) {
        return context.getRoot().getStore(NS)
                .getOrComputeIfAbsent(EmbeddedKafka.class, k -> EmbeddedKafka.start(), EmbeddedKafka.class);
    }
}
