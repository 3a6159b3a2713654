package dev.devs.sandbox;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A stop that failed to release its sandbox (the engine was down: here a stand-in driver whose release throws,
 * as the Docker driver's does while its engine does not answer) is retried by the next stop() and by close(),
 * and the release happens once the technology answers again. One KILLED event, with the first error.
 */
@Timeout(20)
class StopRetryTest {

    private final ScriptedDriver driver = new ScriptedDriver();
    private final List<SandboxLifecycleEvent> events = new ArrayList<>();
    private final SandboxProvider provider = SandboxProvider.builder(driver).listener(events::add)
            .shutdownHook(false).build();

    @Test
    void aSecondStopAfterTheOutageReleasesTheSandbox() {
        Sandbox sb = provider.start(SandboxSpec.builder("img").build());
        driver.stopFailure = new SandboxException("engine at unix:///var/run/docker.sock did not answer");

        assertThatThrownBy(sb::stop).hasMessageContaining("did not answer");
        assertThatThrownBy(sb::stop).as("still down: the retry fails too, not with a cached answer")
                .hasMessageContaining("did not answer");
        assertThat(driver.stops.get()).isEqualTo(2);

        driver.stopFailure = null;
        assertThat(sb.stop()).as("the outcome its KILLED event reported").isEqualTo(StopOutcome.KILLED);
        assertThat(driver.stops.get()).isEqualTo(3);
        assertThat(sb.stop()).as("released: nothing more to do").isEqualTo(StopOutcome.KILLED);
        assertThat(driver.stops.get()).isEqualTo(3);
        assertThat(events).extracting(SandboxLifecycleEvent::type).containsExactly(
                SandboxLifecycleEvent.Type.STARTING, SandboxLifecycleEvent.Type.READY, SandboxLifecycleEvent.Type.KILLED);
        provider.close();
    }

    @Test
    void closeRetriesAStopThatFailed() {
        Sandbox sb = provider.start(SandboxSpec.builder("img").build());
        driver.stopFailure = new SandboxException("engine down");
        assertThatThrownBy(sb::stop).hasMessageContaining("engine down");
        driver.stopFailure = null;

        provider.close();

        assertThat(driver.stops.get()).as("the failed stop, then close's retry").isEqualTo(2);
    }
}
