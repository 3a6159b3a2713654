package dev.devs.sandbox.webcontainer;

import dev.devs.sandbox.SandboxProvider;
import dev.devs.sandbox.tck.RecordingListener;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;

/**
 * Base of the stand-in test classes whose every test uses a fresh driver and a provider of its own, with the
 * provider's lifecycle events recorded. After each test the driver's browser is tracked for the class's leak check
 * and the provider closed (after the subclass's own {@code @AfterEach}, which JUnit runs first).
 */
abstract class WithStandInProvider extends AgainstStandIn {

    /** The events of this test's provider, in order. */
    protected final RecordingListener events = new RecordingListener();
    /** This test's driver, booting against the stand-in. */
    protected WebContainerDriver driver;
    /** This test's provider, over {@link #driver}. */
    protected SandboxProvider provider;

    @BeforeEach
    void openProvider() {
        driver = standInDriver();
        provider = SandboxProvider.builder(driver).listener(events).build();
    }

    @AfterEach
    void closeProvider() {
        leaks.track(driver);
        provider.close();
    }
}
