package dev.devs.sandbox.docker;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.devs.sandbox.ResourceLabels;
import dev.devs.sandbox.SandboxProvider;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The suite-wide leak check must be able to fail: shown with a volume left behind on purpose. */
@Timeout(30)
class SessionLeakCheckTest {

    @Test
    void leakCheckFailsOnAResourceOfThisSessionAndRemovesIt() {
        SessionLeakCheck.check("before the planted leak"); // nothing of this session may exist yet
        String name = "devs-leakcheck-" + UUID.randomUUID().toString().substring(0, 8);
        DockerTestSupport.api().createVolumeCmd().withName(name).withLabels(Map.of(
                ResourceLabels.MANAGED, "true",
                ResourceLabels.SANDBOX_ID, name,
                ResourceLabels.SESSION, SandboxProvider.JVM_SESSION_ID)).exec();

        assertThatThrownBy(() -> SessionLeakCheck.check("the planted leak"))
                .isInstanceOf(AssertionError.class)
                .hasMessageContaining("the planted leak left Docker resources of session " + SandboxProvider.JVM_SESSION_ID)
                .hasMessageContaining("volume " + name);
        assertThat(DockerTestSupport.volumesLabelled(ResourceLabels.SANDBOX_ID, name)).isEmpty();
    }
}
