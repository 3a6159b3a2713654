package dev.devs.sandbox.webcontainer;

import dev.devs.sandbox.webcontainer.testing.StandInRuntime;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * Base of the test classes that boot WebContainers in a real Chromium against the loopback TEST STAND-IN of the
 * runtime: one stand-in per class, and, once the class is done, no browser process of this JVM left by the drivers
 * it tracked. (Test classes run one after the other, so the statics belong to one class at a time.) A test class
 * that must extend another base (the driver contract) gets the same with {@code @ExtendWith(AgainstStandIn.Fixture.class)}.
 */
@ExtendWith(AgainstStandIn.Fixture.class)
abstract class AgainstStandIn {

    static StandInRuntime runtime;
    static final BrowserLeakCheck leaks = new BrowserLeakCheck();

    /** A driver booting against the stand-in. */
    static WebContainerDriver standInDriver() {
        return WebContainerDriver.builder().endpoint(runtime.endpoint()).build();
    }

    /** Starts the stand-in before the class's first test; after its last, closes it and checks for browsers left. */
    static final class Fixture implements BeforeAllCallback, AfterAllCallback {

        @Override
        public void beforeAll(ExtensionContext context) {
            runtime = StandInRuntime.start();
        }

        @Override
        public void afterAll(ExtensionContext context) {
            runtime.close();
            leaks.assertNothingLeft();
        }
    }
}
