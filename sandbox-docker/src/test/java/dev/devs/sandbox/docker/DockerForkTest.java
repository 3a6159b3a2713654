package dev.devs.sandbox.docker;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assumptions.assumeThat;
import static org.awaitility.Awaitility.await;

import dev.devs.sandbox.ExecResult;
import dev.devs.sandbox.Sandbox;
import dev.devs.sandbox.SandboxCapability;
import dev.devs.sandbox.SandboxCapabilityException;
import dev.devs.sandbox.SandboxLifecycleEvent;
import dev.devs.sandbox.SandboxProvider;
import dev.devs.sandbox.SandboxSnapshot;
import dev.devs.sandbox.SandboxSpec;
import dev.devs.sandbox.StartType;
import dev.devs.sandbox.tck.RecordingListener;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Checkpoint and fork on gVisor, against a private dockerd with experimental features on and runsc registered (the
 * shared engine of a test run may have them off; the test starts its own, and skips, saying why, where it cannot).
 * Every promise of a fresh sandbox is checked on forks: memory and files of the checkpoint's moment, exec and
 * files, independence of two forks, its own lifetime, its owner's death, stop leaving nothing; and the snapshot's
 * removal by its owner or its provider's close.
 */
@Timeout(300)
class DockerForkTest {

    /** A shell keeping a random value in memory and counting, publishing both (atomically, by rename) in /tmp/n. */
    private static final String TEMPLATE = "r=$RANDOM$RANDOM; echo $r > /tmp/r; echo hello > note.txt; i=0;"
            + " while :; do i=$((i+1)); echo \"$r $i\" > /tmp/n.new; mv /tmp/n.new /tmp/n; sleep 0.05; done";

    private static PrivateEngine engine;

    @BeforeAll
    static void startEngine() throws Exception {
        engine = PrivateEngine.startCheckpointingOrSkip(List.of(DockerTestSupport.TINY_IMAGE));
    }

    @AfterAll
    static void stopEngine() throws Exception {
        if (engine != null) {
            engine.close();
        }
    }

    private static SandboxProvider provider(RecordingListener events) {
        return SandboxProvider.builder(DockerDriver.builder().dockerHost(engine.host()).build()).listener(events).build();
    }

    private static SandboxSpec.Builder template() {
        return SandboxSpec.builder(DockerTestSupport.TINY_IMAGE).runtime("runsc").command("sh", "-c", TEMPLATE);
    }

    @Test
    void forksHaveTheCheckpointsMemoryAndFilesWorkAndDoNotSeeEachOthersWrites() throws Exception {
        RecordingListener events = new RecordingListener();
        try (SandboxProvider provider = provider(events)) {
            Sandbox tpl = provider.start(template().build());
            await().atMost(DockerTestSupport.PATIENCE).until(() -> tpl.exec("cat", "/tmp/n").exitCode() == 0);
            String random = tpl.exec("cat", "/tmp/r").stdout().strip();
            long before = Long.parseLong(tpl.exec("cat", "/tmp/n").stdout().strip().split(" ")[1]);
            long t0 = System.nanoTime();
            SandboxSnapshot snapshot = tpl.checkpoint();
            DockerTestSupport.timing("checkpoint (busybox, runsc)", Duration.ofNanos(System.nanoTime() - t0), snapshot.sizeBytes() + " bytes");

            assertThat(tpl.isAlive()).as("the checkpoint ends its sandbox").isFalse();
            assertThat(snapshot.sizeBytes()).isPositive();
            assertThat(Path.of(snapshot.location())).isDirectory();
            assertThat(provider.snapshots()).containsExactly(snapshot);

            Sandbox a = provider.fork(snapshot);
            Sandbox b = provider.fork(snapshot);
            DockerTestSupport.timing("fork (busybox, runsc)", a.provisioningDuration(), a.phases());
            for (Sandbox f : List.of(a, b)) {
                assertThat(f.startType()).isEqualTo(StartType.FORKED);
                assertThat(f.exec("cat", "/tmp/r").stdout().strip()).as("a file of the checkpoint's moment").isEqualTo(random);
                assertThat(f.exec("cat", "note.txt").stdout()).as("the work directory of the checkpoint").isEqualTo("hello\n");
                ExecResult ls = f.exec("ls", "/tmp", ".");
                assertThat(ls.exitCode()).as("ls of the restored file systems: %s", ls).isZero();
                assertThat(ls.stdout()).contains("n").contains("r").contains("note.txt");
                // The shell's memory: the same random value, and its count goes on from the checkpoint's.
                awaitCountPast(f, random, before);
            }
            a.writeFile("only-a.txt", "a".getBytes(StandardCharsets.UTF_8));
            assertThat(a.exec("sh", "-c", "echo changed > /tmp/r").exitCode()).isZero();
            assertThat(b.exec("ls").stdout()).doesNotContain("only-a.txt");
            assertThat(b.exec("cat", "/tmp/r").stdout().strip()).isEqualTo(random);

            List<String> forkIds = List.of(a.id(), b.id());
            a.stop();
            b.stop();
            await().atMost(DockerTestSupport.PATIENCE).untilAsserted(() -> assertThat(engine.managedContainers()).isEmpty());
            assertThat(events.events()).filteredOn(e -> e instanceof SandboxLifecycleEvent.Ready r && forkIds.contains(r.sandboxId()))
                    .allMatch(e -> ((SandboxLifecycleEvent.Ready) e).startType() == StartType.FORKED).hasSize(2);
            snapshot.remove();
            assertThat(Path.of(snapshot.location())).doesNotExist();
            assertThat(provider.snapshots()).isEmpty();
            assertThatThrownBy(() -> provider.fork(snapshot)).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("removed");
        }
    }

    /**
     * A template's first command opens the command channel in the background; a checkpoint right after it must not
     * catch the agent half-started, attached to the host's streams (gVisor's restore then panicked decoding the
     * checkpoint: the second of eight such forks failed before the checkpoint waited for the open and ended it).
     */
    @Test
    void aCheckpointRightAfterTheFirstCommandRestores() throws Exception {
        try (SandboxProvider provider = provider(new RecordingListener())) {
            for (int i = 0; i < 4; i++) {
                Sandbox tpl = provider.start(template().build());
                await().atMost(DockerTestSupport.PATIENCE).until(() -> tpl.exec("cat", "/tmp/n").exitCode() == 0);
                try (SandboxSnapshot snapshot = tpl.checkpoint()) {
                    Sandbox fork = provider.fork(snapshot);
                    assertThat(fork.exec("cat", "/tmp/r").exitCode()).isZero();
                    fork.stop();
                }
            }
        }
    }

    @Test
    void aForkHasItsOwnMaximumLifetimeCountedFromItsFork() {
        Duration lifetime = Duration.ofSeconds(8);
        try (SandboxProvider provider = provider(new RecordingListener())) {
            Sandbox tpl = provider.start(template().maxLifetime(lifetime).build());
            long templateStarted = System.nanoTime() - tpl.provisioningDuration().toNanos();
            await().atMost(DockerTestSupport.PATIENCE).until(() -> tpl.exec("cat", "/tmp/n").exitCode() == 0);
            try (SandboxSnapshot snapshot = tpl.checkpoint()) {
                Sandbox fork = provider.fork(snapshot);
                long forkReady = System.nanoTime();
                await().atMost(lifetime.plus(DockerTestSupport.PATIENCE)).pollInterval(Duration.ofMillis(100)).until(() -> !fork.isAlive());
                long ended = System.nanoTime();
                System.out.printf("[fork-lifetime] template deadline +%d ms after its start; fork ready at +%d ms, ended at +%d ms%n",
                        lifetime.toMillis(), (forkReady - templateStarted) / 1_000_000, (ended - templateStarted) / 1_000_000);
                // Its template's clock would have ended it at templateStarted + lifetime; its own at forkReady + lifetime.
                assertThat(Duration.ofNanos(ended - forkReady)).as("the fork lived its own lifetime (whole seconds, rounded up)")
                        .isGreaterThanOrEqualTo(lifetime.minusSeconds(1));
                await().atMost(DockerTestSupport.PATIENCE).untilAsserted(() -> assertThat(engine.managedContainers()).isEmpty());
            }
        }
    }

    @Test
    void killingTheOwnerOfForksLeavesNoContainerWithin30sAndTheNextSweepRemovesItsSnapshotButNoLivingOwnersNorAKeptOne()
            throws Exception {
        String session = "fork-owner-death-" + UUID.randomUUID();
        Path snapshots = Files.createTempDirectory(Path.of("/tmp"), "devs-snaps-");
        try (ChildJvm child = ChildJvm.start(ForkOwnerChild.class, session, engine.host(), snapshots.toString());
             SandboxProvider living = SandboxProvider.of(DockerDriver.builder().dockerHost(engine.host())
                     .snapshotDirectory(snapshots).build())) {
            String[] holding = child.awaitLine("HOLDING", Duration.ofSeconds(180)).split(" ");
            Path dead = Path.of(holding[2]);
            Path kept = Path.of(holding[3]);
            SandboxSnapshot alive = living.start(template().build()).checkpoint();
            assertThat(engine.managedContainers()).as("two forks").hasSize(2);
            assertThat(List.of(dead, kept, Path.of(alive.location()))).allMatch(Files::isDirectory);
            assertThat(ContainerCheckpoints.ownerFile(dead)).exists();
            assertThat(engineCheckpointCopies()).as("the forks' copies under the engine's folders").hasSize(2);

            long t0 = System.nanoTime();
            child.kill9();
            // 30 s is the requirement of docs/design.md for a dead owner's sandboxes, not scaled by the patience factor.
            await("forks gone 30 s after their owner's SIGKILL").atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(100))
                    .until(() -> engine.managedContainers().isEmpty());
            System.out.printf("[fork-owner-death] forks gone %d ms after SIGKILL%n", (System.nanoTime() - t0) / 1_000_000);
            assertThat(engineCheckpointCopies()).as("the engine's copies go with the forks' containers").isEmpty();
            assertThat(dead).as("nothing of ours ran at the owner's death: its snapshot is there until a sweep").isDirectory();

            // The next provider on this host sweeps what dead owners left, in the background of its build.
            long t1 = System.nanoTime();
            try (SandboxProvider next = SandboxProvider.of(DockerDriver.builder().dockerHost(engine.host())
                    .snapshotDirectory(snapshots).build())) {
                await().atMost(DockerTestSupport.PATIENCE).pollInterval(Duration.ofMillis(100)).untilAsserted(() ->
                        assertThat(dead).as("the dead owner's snapshot").doesNotExist());
                System.out.printf("[fork-owner-death] the dead owner's snapshot swept %d ms after the next provider's build%n",
                        (System.nanoTime() - t1) / 1_000_000);
                assertThat(ContainerCheckpoints.ownerFile(dead)).doesNotExist();
                assertThat(Path.of(alive.location())).as("the living owner's snapshot").isDirectory();
                assertThat(ContainerCheckpoints.ownerFile(Path.of(alive.location()))).exists();
                assertThat(kept).as("the dead owner's kept snapshot").isDirectory();
            }
            alive.remove();
            assertThat(snapshots).as("only the kept snapshot is left").isDirectoryContaining(p -> p.equals(kept));
            assertThat(snapshots.toFile().list()).hasSize(1);
        } finally {
            ContainerCheckpoints.deleteTree(snapshots);
        }
    }

    /** The checkpoints the engine holds under its folders of containers ({@code containers/<id>/checkpoints/<name>}). */
    private static List<Path> engineCheckpointCopies() throws Exception {
        try (var all = Files.find(engine.dataRoot().resolve("containers"), 3,
                (p, a) -> a.isDirectory() && p.getParent().getFileName().toString().equals("checkpoints"))) {
            return all.toList();
        }
    }

    @Test
    void theProviderRemovesItsSnapshotsWhenItClosesUnlessKept() throws Exception {
        SandboxSnapshot dropped;
        SandboxSnapshot kept;
        try (SandboxProvider provider = provider(new RecordingListener())) {
            dropped = provider.start(template().build()).checkpoint();
            kept = provider.start(template().build()).checkpoint().keep();
        }
        assertThat(Path.of(dropped.location())).doesNotExist();
        assertThat(dropped.isRemoved()).isTrue();
        assertThat(Path.of(kept.location())).isDirectory();
        kept.remove();
        assertThat(Path.of(kept.location())).doesNotExist();
        assertThat(engine.managedContainers()).isEmpty();
    }

    @Test
    void aRuncSandboxIsRefusedNamingItsRuntimeAndRunsOn() {
        try (SandboxProvider provider = provider(new RecordingListener());
             Sandbox sb = provider.start(DockerTestSupport.sleeper().build())) {
            assertThatThrownBy(sb::checkpoint).isInstanceOfSatisfying(SandboxCapabilityException.class,
                    e -> assertThat(e.capability()).isEqualTo(SandboxCapability.SNAPSHOT))
                    .hasMessageContaining(sb.id()).hasMessageContaining("runtime 'runc'").hasMessageContaining("runsc");
            assertThat(sb.isAlive()).isTrue();
            assertThat(provider.snapshots()).isEmpty();
        }
    }

    @Test
    void anEngineWithoutExperimentalFeaturesIsRefusedNamingTheSettingAndTheSandboxRunsOn() {
        assumeThat(DockerTestSupport.api().infoCmd().exec().getExperimentalBuild()).as("the shared engine has experimental off").isNotEqualTo(Boolean.TRUE);
        assumeThat(IsolationImages.engineRuntimes()).as("the shared engine has runsc").contains("runsc");
        try (SandboxProvider provider = SandboxProvider.of(new DockerDriver());
             Sandbox sb = provider.start(template().build())) {
            assertThatThrownBy(sb::checkpoint).isInstanceOfSatisfying(SandboxCapabilityException.class,
                    e -> assertThat(e.capability()).isEqualTo(SandboxCapability.SNAPSHOT))
                    .hasMessageContaining("experimental features off").hasMessageContaining("\"experimental\": true");
            assertThat(sb.isAlive()).isTrue();
        }
    }

    @Test
    void aSandboxWithScratchVolumesIsRefused() {
        try (SandboxProvider provider = provider(new RecordingListener());
             Sandbox sb = provider.start(template().scratchVolume("/scratch").build())) {
            assertThatThrownBy(sb::checkpoint).isInstanceOfSatisfying(SandboxCapabilityException.class,
                    e -> assertThat(e.capability()).isEqualTo(SandboxCapability.SNAPSHOT)).hasMessageContaining("/scratch");
            assertThat(sb.isAlive()).isTrue();
        }
    }

    /**
     * Waits until the shell of fork {@code f} publishes the template's random value with a count past {@code before}
     * (read from the template just before its checkpoint): a fresh shell would have another value and start at 1.
     */
    private static void awaitCountPast(Sandbox f, String random, long before) {
        await().atMost(DockerTestSupport.PATIENCE).until(() -> {
            String[] line = f.exec("cat", "/tmp/n").stdout().strip().split(" ");
            return line.length == 2 && line[0].equals(random) && Long.parseLong(line[1]) > before;
        });
    }
}
