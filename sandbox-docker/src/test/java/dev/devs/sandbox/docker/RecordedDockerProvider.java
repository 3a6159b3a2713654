package dev.devs.sandbox.docker;

import dev.devs.sandbox.SandboxProvider;
import dev.devs.sandbox.tck.RecordingListener;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * A test's fresh provider on the default Docker engine, with every lifecycle event it emits recorded, closed after
 * each test and checked for leaks of the test's session.
 */
@ExtendWith(SessionLeakCheck.class)
abstract class RecordedDockerProvider {

    /** The events of this test's provider, in order. */
    protected final RecordingListener events = new RecordingListener();
    /** A provider of this test alone, on a default {@link DockerDriver}. */
    protected SandboxProvider provider;

    @BeforeEach
    void openProvider() {
        provider = SandboxProvider.builder(new DockerDriver()).listener(events).build();
    }

    @AfterEach
    void closeProvider() {
        provider.close();
    }
}
