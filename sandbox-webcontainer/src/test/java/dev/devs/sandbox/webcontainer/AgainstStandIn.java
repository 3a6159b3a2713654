package dev.devs.sandbox.webcontainer;

import dev.devs.sandbox.webcontainer.testing.StandInRuntime;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

/**
 * Base of the test classes that boot WebContainers in a real Chromium against the loopback TEST STAND-IN of the
 * runtime: one stand-in per class, and, once the class is done, no browser process of this JVM left by the drivers
 * it tracked. (Test classes run one after the other, so the statics belong to one class at a time.)
 */
abstract class AgainstStandIn {

    static StandInRuntime runtime;
    static final BrowserLeakCheck leaks = new BrowserLeakCheck();

    @BeforeAll
    static void startStandIn() {
        runtime = StandInRuntime.start();
    }

    @AfterAll
    static void stopStandInAndCheckLeaks() {
        runtime.close();
        leaks.assertNothingLeft();
    }

    /** A driver booting against the stand-in. */
    static WebContainerDriver standInDriver() {
        return WebContainerDriver.builder().endpoint(runtime.endpoint()).build();
    }
}
