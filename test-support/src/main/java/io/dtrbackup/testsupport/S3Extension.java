package io.dtrbackup.testsupport;

import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.ParameterContext;
import org.junit.jupiter.api.extension.ParameterResolver;

/**
 * One {@link EmbeddedS3} per test JVM, started on first use and closed when JUnit closes its
 * root store (end of the run). Resolves {@code EmbeddedS3} parameters of constructors,
 * lifecycle methods and test methods.
 */
public final class S3Extension implements ParameterResolver {
    private static final ExtensionContext.Namespace NS = ExtensionContext.Namespace.create(S3Extension.class);

    @Override
    public boolean supportsParameter(ParameterContext parameterContext, ExtensionContext extensionContext) {
        return parameterContext.getParameter().getType() == EmbeddedS3.class;
    }

    @Override
    public Object resolveParameter(ParameterContext parameterContext, ExtensionContext extensionContext) {
        return s3(extensionContext);
    }

    /** The JVM-wide S3 server, for extensions or code that has an ExtensionContext. */
    public static EmbeddedS3 s3(ExtensionContext context) {
        return context.getRoot().getStore(NS)
                .getOrComputeIfAbsent(EmbeddedS3.class, k -> EmbeddedS3.start(), EmbeddedS3.class);
    }
}
