package dev.devs.sandbox;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

/** A driver that cannot pause (the SPI's default) is refused before it is asked, naming the driver and the capability. */
class SandboxPauseTest {

    @Test
    void pauseAndResumeOnADriverThatCannotPauseAreRefusedNamingTheDriverAndTheSandboxGoesOn() {
        ScriptedDriver driver = new ScriptedDriver();
        try (SandboxProvider provider = SandboxProvider.builder(driver).sweepOrphans(false).build();
             Sandbox sb = provider.start(SandboxSpec.builder("busybox:local").build())) {
            for (var call : java.util.List.<org.assertj.core.api.ThrowableAssert.ThrowingCallable>of(sb::pause, sb::resume)) {
                assertThatThrownBy(call).isInstanceOfSatisfying(SandboxCapabilityException.class, e -> {
                    assertThat(e.driver()).isEqualTo("scripted");
                    assertThat(e.capability()).isEqualTo(SandboxCapability.PAUSE);
                }).hasMessageContaining("the scripted driver cannot do PAUSE").hasMessageContaining(sb.id());
            }
            assertThat(sb.isPaused()).isFalse();
            assertThat(sb.exec("echo", "hi").exitCode()).isZero();
        }
    }

    @Test
    void aStoppedSandboxCannotBePaused() {
        ScriptedDriver driver = new ScriptedDriver();
        driver.canPause = true;
        try (SandboxProvider provider = SandboxProvider.builder(driver).sweepOrphans(false).build()) {
            Sandbox sb = provider.start(SandboxSpec.builder("busybox:local").build());
            sb.pause();
            assertThat(sb.isPaused()).isTrue();
            assertThatThrownBy(() -> sb.exec("true")).isInstanceOf(IllegalStateException.class).hasMessageContaining("is paused");
            sb.resume();
            assertThat(sb.isPaused()).isFalse();
            sb.stop();
            assertThatThrownBy(sb::pause).isInstanceOf(IllegalStateException.class).hasMessageContaining("is stopped");
        }
    }
}
