package dev.devs.sandbox;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.devs.sandbox.tck.Patience;
import dev.devs.sandbox.tck.RecordingListener;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/**
 * A snapshot's bookkeeping in the provider (forks are READY as forked, removal with the provider unless kept) and a pool
 * whose template is a snapshot (its refills are forks). The Docker driver's real checkpoints are DockerForkTest's.
 */
class SnapshotPoolTest {

    @Test
    void aPoolOfASnapshotRefillsWithForksAndHandsThemOutAsPooled() {
        ScriptedDriver driver = new ScriptedDriver();
        driver.canCheckpoint = true;
        RecordingListener events = new RecordingListener();
        try (SandboxProvider provider = SandboxProvider.builder(driver).sweepOrphans(false).listener(events).build()) {
            SandboxSnapshot snapshot = provider.start(SandboxSpec.builder("busybox:local").build()).checkpoint();
            try (SandboxPool pool = SandboxPool.builder(provider, snapshot).minIdle(2).maxSize(3).build()) {
                await().atMost(Patience.seconds(10)).until(() -> pool.stats().idle() == 2);
                try (Sandbox claimed = pool.acquire(Patience.seconds(10))) {
                    assertThat(claimed.startType()).isEqualTo(StartType.POOLED);
                }
                assertThat(driver.forks.get()).as("refills that were forks").isGreaterThanOrEqualTo(2);
                assertThat(events.events()).filteredOn(e -> e instanceof SandboxLifecycleEvent.Ready r && r.startType() == StartType.FORKED)
                        .hasSizeGreaterThanOrEqualTo(2);
            }
        }
    }

    @Test
    void snapshotsGoWithTheirProviderUnlessKeptAndARemovedOneCannotBeForked() {
        ScriptedDriver driver = new ScriptedDriver();
        driver.canCheckpoint = true;
        SandboxSnapshot dropped;
        SandboxSnapshot kept;
        try (SandboxProvider provider = SandboxProvider.builder(driver).sweepOrphans(false).build()) {
            Sandbox a = provider.start(SandboxSpec.builder("busybox:local").build());
            dropped = a.checkpoint();
            assertThat(a.isAlive()).as("a checkpoint ends its sandbox").isFalse();
            kept = provider.start(SandboxSpec.builder("busybox:local").build()).checkpoint().keep();
            assertThat(provider.fork(dropped).startType()).isEqualTo(StartType.FORKED);
            assertThat(provider.snapshots()).containsExactlyInAnyOrder(dropped, kept);
        }
        assertThat(dropped.isRemoved()).isTrue();
        assertThat(kept.isRemoved()).isFalse();
        kept.remove();
        assertThat(kept.isRemoved()).isTrue();
    }

    @Test
    void aDriverThatCannotCheckpointIsRefusedNamingItAndTheSandboxRunsOn() {
        try (SandboxProvider provider = SandboxProvider.builder(new ScriptedDriver()).sweepOrphans(false).build();
             Sandbox sb = provider.start(SandboxSpec.builder("busybox:local").build())) {
            assertThatThrownBy(sb::checkpoint).isInstanceOfSatisfying(SandboxCapabilityException.class, e -> {
                assertThat(e.driver()).isEqualTo("scripted");
                assertThat(e.capability()).isEqualTo(SandboxCapability.SNAPSHOT);
            }).hasMessageContaining("the scripted driver cannot do SNAPSHOT").hasMessageContaining(sb.id());
            assertThat(sb.isAlive()).isTrue();
        }
    }
}
