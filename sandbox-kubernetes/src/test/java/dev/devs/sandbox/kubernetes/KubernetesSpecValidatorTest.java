package dev.devs.sandbox.kubernetes;

import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.devs.sandbox.SandboxSpec;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.ConfigBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import java.time.Duration;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Specs and settings Kubernetes cannot honour are refused before any API call, naming the value and what is valid. */
class KubernetesSpecValidatorTest {

    private static KubernetesClient client;
    private static KubernetesDriver pods;

    @BeforeAll
    static void driver() {
        // validate() makes no API call: a client for an address nothing listens on is enough.
        Config config = new ConfigBuilder().withMasterUrl("https://127.0.0.1:9").build();
        client = new KubernetesClientBuilder().withConfig(config).build();
        pods = KubernetesDriver.builder().client(client).namespace("sandboxes").build();
    }

    @AfterAll
    static void close() {
        pods.close();
        client.close();
    }

    @Test
    void theSecureDefaultSpecIsAccepted() {
        assertThatCode(() -> pods.validate(SandboxSpec.builder("busybox:1.36").build())).doesNotThrowAnyException();
    }

    @Test
    void podModeNeedsAnImage() {
        assertThatThrownBy(() -> pods.validate(SandboxSpec.builder().build())).hasMessageContaining("image is not set");
    }

    @Test
    void rootAndNamedUsersAreRefusedUnderRestricted() {
        assertThatThrownBy(() -> pods.validate(SandboxSpec.builder("busybox:1.36").user("0").build()))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("user '0' is root").hasMessageContaining("65534:65534");
        assertThatThrownBy(() -> pods.validate(SandboxSpec.builder("busybox:1.36").user("app").build()))
                .hasMessageContaining("user 'app' is not numeric");
    }

    @Test
    void onlyNoneAndBridgeNetworksMeanSomethingOnKubernetes() {
        assertThatThrownBy(() -> pods.validate(SandboxSpec.builder("busybox:1.36").network("host").build()))
                .hasMessageContaining("network 'host' is not allowed").hasMessageContaining("hostNetwork");
        assertThatThrownBy(() -> pods.validate(SandboxSpec.builder("busybox:1.36").network("my-net").build()))
                .hasMessageContaining("network 'my-net' has no meaning on Kubernetes");
        assertThatCode(() -> pods.validate(SandboxSpec.builder("busybox:1.36").network("bridge").build())).doesNotThrowAnyException();
    }

    @Test
    void labelsKubernetesWouldRefuseAreNamed() {
        assertThatThrownBy(() -> pods.validate(SandboxSpec.builder("busybox:1.36").label("team", "search team").build()))
                .hasMessageContaining("label 'team' value 'search team'");
        assertThatThrownBy(() -> pods.validate(SandboxSpec.builder("busybox:1.36").label("-bad", "x").build()))
                .hasMessageContaining("label key '-bad'");
        assertThatCode(() -> pods.validate(SandboxSpec.builder("busybox:1.36").label("example.com/team", "search").build()))
                .doesNotThrowAnyException();
    }

    @Test
    void builderRefusesBadNamesAndLifetimes() {
        assertThatThrownBy(() -> KubernetesDriver.builder().namespace("Team_X")).hasMessageContaining("namespace 'Team_X'");
        assertThatThrownBy(() -> KubernetesDriver.builder().runtimeClassName("g visor")).hasMessageContaining("runtimeClassName 'g visor'");
        assertThatThrownBy(() -> KubernetesDriver.builder().maxLifetime(Duration.ofMillis(10))).hasMessageContaining("maxLifetime PT0.01S");
    }
}
