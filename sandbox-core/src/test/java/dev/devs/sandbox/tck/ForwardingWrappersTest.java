package dev.devs.sandbox.tck;

import static org.assertj.core.api.Assertions.assertThat;

import dev.devs.sandbox.spi.SandboxDriver;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The contract's wrappers pass every call of the SPI through: a method the SPI gains with a default body would
 * otherwise reach the default, not the driver under test, and the checks would test the wrong thing.
 */
class ForwardingWrappersTest {

    @Test
    void theForwardingHandleDeclaresEveryMethodOfTheHandle() {
        assertThat(undeclared(SandboxDriver.Handle.class, ForwardingHandle.class)).as("Handle methods ForwardingHandle does not forward").isEmpty();
    }

    @Test
    void theForwardingDriverDeclaresEveryMethodOfTheDriver() {
        assertThat(undeclared(SandboxDriver.class, ForwardingDriver.class)).as("SandboxDriver methods ForwardingDriver does not forward").isEmpty();
    }

    private static List<String> undeclared(Class<?> spi, Class<?> wrapper) {
        return Arrays.stream(spi.getDeclaredMethods())
                .filter(m -> !Modifier.isStatic(m.getModifiers()) && !Modifier.isPrivate(m.getModifiers()))
                .filter(m -> !declares(wrapper, m))
                .map(Method::getName)
                .toList();
    }

    private static boolean declares(Class<?> wrapper, Method m) {
        try {
            wrapper.getDeclaredMethod(m.getName(), m.getParameterTypes());
            return true;
        } catch (NoSuchMethodException e) {
            return false;
        }
    }
}
