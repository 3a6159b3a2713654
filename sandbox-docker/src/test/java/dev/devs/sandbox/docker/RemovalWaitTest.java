package dev.devs.sandbox.docker;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The wait for the engine's own removal of a container ({@code wait?condition=removed}) takes a container that is
 * already gone as removed, and says nothing about it: docker-java's stock callback logs that 404 at ERROR.
 */
@Timeout(60)
class RemovalWaitTest {

    @Test
    void aContainerAlreadyGoneCountsAsRemovedWithoutAnErrorLine() {
        EngineAddress address = EngineAddress.resolve(null, System.getenv("DOCKER_HOST"), Duration.ofSeconds(5), Duration.ofSeconds(30));
        EngineFailureTranslator failures = new EngineFailureTranslator(address);
        PrintStream stderr = System.err;
        ByteArrayOutputStream captured = new ByteArrayOutputStream();
        boolean removed;
        try (EngineCalls engine = new EngineCalls(address, failures)) {
            // slf4j-simple, the tests' logger, writes to whatever System.err is at the time.
            System.setErr(new PrintStream(captured, true, StandardCharsets.UTF_8));
            removed = new ResourceRemover(engine, failures).awaitRemoved("devs-never-created-" + UUID.randomUUID());
        } finally {
            System.setErr(stderr);
        }
        String log = captured.toString(StandardCharsets.UTF_8);
        stderr.print(log);
        assertThat(removed).as("a container that does not exist counts as removed").isTrue();
        assertThat(log).as("what was logged while waiting").doesNotContain("ERROR").doesNotContain("No such container");
    }
}
