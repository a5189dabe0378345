package io.dtrbackup.testsupport;

import org.junit.jupiter.api.extension.ExtensionConfigurationException;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.ParameterContext;
import org.junit.jupiter.api.extension.ParameterResolver;

/**
 * Resolves a {@link DtrSimulator}: one per test class (shared by its constructor, lifecycle and
 * test methods), closed after the class so everything it created on the engine is removed.
 * With no Docker engine it FAILS the test, never skips: a skipped suite looks green in CI.
 */
public final class DockerExtension implements ParameterResolver {
    private static final ExtensionContext.Namespace NS = ExtensionContext.Namespace.create(DockerExtension.class);

    @Override
    public boolean supportsParameter(ParameterContext parameterContext, ExtensionContext extensionContext) {
        return parameterContext.getParameter().getType() == DtrSimulator.class;
    }

    @Override
    public Object resolveParameter(ParameterContext parameterContext, ExtensionContext extensionContext) {
        return simulator(extensionContext);
    }

    /** The simulator of the test class that {@code context} belongs to. */
    public static DtrSimulator simulator(ExtensionContext context) {
        ExtensionContext classContext = classContext(context);
        return classContext.getStore(NS).getOrComputeIfAbsent(DtrSimulator.class,
                k -> startOrFail(DtrSimulator.defaultDockerHost()), DtrSimulator.class);
    }

    private static ExtensionContext classContext(ExtensionContext context) {
        ExtensionContext c = context;
        while (c.getTestMethod().isPresent() && c.getParent().isPresent()) {
            c = c.getParent().get();
        }
        return c;
    }

    static DtrSimulator startOrFail(String host) {
        String problem = DtrSimulator.pingProblem(host);
        if (problem != null) {
            throw new ExtensionConfigurationException("No Docker engine answers on " + host + " (" + problem
                    + "). These tests need a real engine: run deploy/setup-docker-engine.sh (as root) and retry.");
        }
        return DtrSimulator.start(host);
    }
}
