package dev.devs.sandbox.benchmarks;

import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.ParameterContext;
import org.junit.jupiter.api.extension.ParameterResolver;

/**
 * Hands every benchmark class the same {@link BenchmarkRun}, created on first use and kept in the root
 * store, which JUnit closes once, after the last test of the run.
 */
final class BenchmarkRunExtension implements ParameterResolver {

    private static final ExtensionContext.Namespace NS = ExtensionContext.Namespace.create(BenchmarkRunExtension.class);

    @Override
    public boolean supportsParameter(ParameterContext parameter, ExtensionContext context) {
        return parameter.getParameter().getType() == BenchmarkRun.class;
    }

    @Override
    public Object resolveParameter(ParameterContext parameter, ExtensionContext context) {
        return context.getRoot().getStore(NS)
                .getOrComputeIfAbsent(BenchmarkRun.class, k -> BenchmarkRun.open(), BenchmarkRun.class);
    }
}
