package dev.devs.sandbox.tck;

import java.lang.reflect.Method;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.InvocationInterceptor;
import org.junit.jupiter.api.extension.ReflectiveInvocationContext;
import org.junit.platform.commons.support.AnnotationSupport;

/**
 * JUnit's {@link Timeout}s, and its default timeouts ({@code junit.jupiter.execution.timeout.*.default}), multiplied by
 * the {@link Patience} factor, so that {@code -Ddevs.test.patience=3} gives a slow machine three times every bound at
 * once, a hung test's too.
 *
 * <p>It takes over from JUnit's own enforcement, which cannot be scaled: a build that registers it (by extension
 * auto-detection, {@code junit.jupiter.extensions.autodetection.enabled=true}) also turns JUnit's off
 * ({@code junit.jupiter.execution.timeout.mode=disabled}); this project's parent POM does both for its modules. The
 * timeout of a method is found as JUnit finds it: the method's {@code @Timeout}, else (for test, template and factory
 * methods) that of its class or an enclosing class, inherited ones included, else the configured default for its
 * kind. It is enforced as JUnit's default thread mode does: the method runs on its own thread, which is interrupted
 * when the scaled timeout has passed, and the method then fails with a {@link TimeoutException} naming both timeouts,
 * its own failure (if any) suppressed under it. A {@code @Timeout}'s thread mode is not honoured.
 */
public final class PatientTimeouts implements InvocationInterceptor {

    private static final String PREFIX = "junit.jupiter.execution.timeout.";
    private static final Pattern DURATION = Pattern.compile("(\\d+)\\s*(ns|μs|ms|s|m|h|d)?", Pattern.CASE_INSENSITIVE);
    private static final ScheduledExecutorService TIMER = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "patient-timeouts");
        t.setDaemon(true);
        return t;
    });

    @Override
    public void interceptTestMethod(Invocation<Void> invocation, ReflectiveInvocationContext<Method> call, ExtensionContext context)
            throws Throwable {
        enforce(invocation, call, context, true, "test.method", "testable.method");
    }

    @Override
    public void interceptTestTemplateMethod(Invocation<Void> invocation, ReflectiveInvocationContext<Method> call,
            ExtensionContext context) throws Throwable {
        enforce(invocation, call, context, true, "testtemplate.method", "testable.method");
    }

    @Override
    public <T> T interceptTestFactoryMethod(Invocation<T> invocation, ReflectiveInvocationContext<Method> call,
            ExtensionContext context) throws Throwable {
        return enforce(invocation, call, context, true, "testfactory.method", "testable.method");
    }

    @Override
    public void interceptBeforeAllMethod(Invocation<Void> invocation, ReflectiveInvocationContext<Method> call,
            ExtensionContext context) throws Throwable {
        enforce(invocation, call, context, false, "beforeall.method", "lifecycle.method");
    }

    @Override
    public void interceptBeforeEachMethod(Invocation<Void> invocation, ReflectiveInvocationContext<Method> call,
            ExtensionContext context) throws Throwable {
        enforce(invocation, call, context, false, "beforeeach.method", "lifecycle.method");
    }

    @Override
    public void interceptAfterEachMethod(Invocation<Void> invocation, ReflectiveInvocationContext<Method> call,
            ExtensionContext context) throws Throwable {
        enforce(invocation, call, context, false, "aftereach.method", "lifecycle.method");
    }

    @Override
    public void interceptAfterAllMethod(Invocation<Void> invocation, ReflectiveInvocationContext<Method> call,
            ExtensionContext context) throws Throwable {
        enforce(invocation, call, context, false, "afterall.method", "lifecycle.method");
    }

    private static <T> T enforce(Invocation<T> invocation, ReflectiveInvocationContext<Method> call, ExtensionContext context,
            boolean testable, String... defaultKeys) throws Throwable {
        Optional<Duration> base = timeoutOf(call.getExecutable(), context, testable, defaultKeys);
        if (base.isEmpty()) {
            return invocation.proceed();
        }
        Duration scaled = Patience.of(base.get());
        Thread caller = Thread.currentThread();
        AtomicBoolean expired = new AtomicBoolean();
        ScheduledFuture<?> alarm = TIMER.schedule(() -> {
            expired.set(true);
            caller.interrupt();
        }, scaled.toNanos(), TimeUnit.NANOSECONDS);
        T result = null;
        Throwable failure = null;
        try {
            result = invocation.proceed();
        } catch (Throwable t) {
            failure = t;
        } finally {
            alarm.cancel(false);
        }
        if (expired.get()) {
            Thread.interrupted(); // the interrupt was this timeout's, not the test's
            TimeoutException timedOut = new TimeoutException(call.getExecutable().getName() + "() timed out after " + scaled
                    + " (timeout " + base.get() + " times patience factor " + Patience.FACTOR + ", " + Patience.PROPERTY + ")");
            if (failure != null) {
                timedOut.addSuppressed(failure);
            }
            throw timedOut;
        }
        if (failure != null) {
            throw failure;
        }
        return result;
    }

    private static Optional<Duration> timeoutOf(Method method, ExtensionContext context, boolean testable, String... defaultKeys) {
        Optional<Timeout> declared = AnnotationSupport.findAnnotation(method, Timeout.class);
        if (declared.isEmpty() && testable) {
            for (ExtensionContext c = context; c != null && declared.isEmpty(); c = c.getParent().orElse(null)) {
                declared = c.getTestClass().flatMap(type -> AnnotationSupport.findAnnotation(type, Timeout.class));
            }
        }
        if (declared.isPresent()) {
            Timeout t = declared.get();
            return t.value() > 0 ? Optional.of(Duration.ofNanos(t.unit().toNanos(t.value()))) : Optional.empty();
        }
        for (String key : List.of(defaultKeys[0], defaultKeys[1], "default")) {
            Optional<String> value = context.getConfigurationParameter(PREFIX + key + (key.equals("default") ? "" : ".default"));
            if (value.isPresent()) {
                return Optional.of(parse(PREFIX + key, value.get()));
            }
        }
        return Optional.empty();
    }

    private static Duration parse(String key, String value) {
        Matcher m = DURATION.matcher(value.trim());
        if (!m.matches()) {
            throw new IllegalArgumentException(key + " '" + value + "' is not a timeout; use e.g. '2 m', '30 s' or '500 ms'");
        }
        long amount = Long.parseLong(m.group(1));
        String unit = m.group(2) == null ? "s" : m.group(2).toLowerCase(Locale.ROOT);
        return switch (unit) {
            case "ns" -> Duration.ofNanos(amount);
            case "μs" -> Duration.ofNanos(TimeUnit.MICROSECONDS.toNanos(amount));
            case "ms" -> Duration.ofMillis(amount);
            case "m" -> Duration.ofMinutes(amount);
            case "h" -> Duration.ofHours(amount);
            case "d" -> Duration.ofDays(amount);
            default -> Duration.ofSeconds(amount);
        };
    }
}
