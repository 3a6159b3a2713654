package dev.devs.sandbox.docker;

import static dev.devs.sandbox.docker.DockerTestSupport.PATIENCE;
import static dev.devs.sandbox.docker.DockerTestSupport.sleeper;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.devs.sandbox.PoolBackoffs;
import dev.devs.sandbox.PoolClaim;
import dev.devs.sandbox.ResourceLabels;
import dev.devs.sandbox.Sandbox;
import dev.devs.sandbox.SandboxLifecycleEvent;
import dev.devs.sandbox.SandboxPool;
import dev.devs.sandbox.SandboxProvider;
import dev.devs.sandbox.SandboxRuntimeUnavailableException;
import dev.devs.sandbox.SandboxSpec;
import dev.devs.sandbox.StartType;
import dev.devs.sandbox.tck.RecordingListener;
import dev.devs.sandbox.tck.Patience;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

/** A pool of real containers: what it hands out, how it refills, how it fails and what it leaves. */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
@ExtendWith(SessionLeakCheck.class)
class DockerPoolTest {

    private final RecordingListener events = new RecordingListener();
    private String session;
    private SandboxProvider provider;
    private SandboxPool pool;

    @BeforeEach
    void provider() {
        session = "devs-test-pool-" + UUID.randomUUID().toString().substring(0, 8);
        provider = SandboxProvider.builder(new DockerDriver()).sessionId(session).listener(events).build();
    }

    @AfterEach
    void close() {
        if (pool != null) {
            pool.close();
        }
        provider.close();
        assertThat(DockerTestSupport.containersLabelled(ResourceLabels.SESSION, session)).as("containers left").isEmpty();
        assertThat(DockerTestSupport.volumesLabelled(ResourceLabels.SESSION, session)).as("volumes left").isEmpty();
    }

    private SandboxPool pool(int minIdle, int maxSize) {
        pool = SandboxPool.builder(provider, sleeper().build()).name("docker-test").minIdle(minIdle).maxSize(maxSize).build();
        return pool;
    }

    private int containers() {
        return DockerTestSupport.containersLabelled(ResourceLabels.SESSION, session).size();
    }

    @Test
    void aClaimGetsARunningContainerThatNeverComesBackAndThePoolRefills() {
        pool(1, 2);
        await().atMost(PATIENCE).until(() -> pool.stats().idle() == 1);

        Sandbox first = pool.acquire(PATIENCE);
        assertThat(first.startType()).isEqualTo(StartType.POOLED);
        assertThat(first.exec("cat", "/proc/1/cmdline").stdout()).contains("sleep");
        assertThat(events.typesOf(first.id())).containsExactly(SandboxLifecycleEvent.Type.STARTING, SandboxLifecycleEvent.Type.READY,
                SandboxLifecycleEvent.Type.STARTING, SandboxLifecycleEvent.Type.READY);
        first.stop();
        DockerTestSupport.assertNothingLeftOf(first.id());

        Sandbox second = pool.acquire(PATIENCE);
        assertThat(second.id()).isNotEqualTo(first.id());
        await().atMost(PATIENCE).until(() -> pool.stats().idle() == 1);
        assertThat(containers()).isEqualTo(2); // the one handed out and its replacement
        second.stop();
    }

    @Test
    void envFilesAndWorkingDirectoryOfAClaimAreSeenInsideAndNotByTheNextClaim() {
        pool(1, 2);
        // A relative working directory (under the spec's /workspace) that only the claim's files create.
        PoolClaim claim = PoolClaim.builder().env("API_TOKEN", "t-42").workingDir("app")
                .file("data/input.txt", "line 1\n").file("/workspace/app/main.py", "print(6 * 7)\n").build();

        Sandbox sb = pool.acquire(claim, PATIENCE);

        assertThat(sb.startType()).isEqualTo(StartType.POOLED);
        // Both files went over the idle sandbox's claim channel: the only execs before the claimant's first are its shell
        // and the command channel's bootstrap, both started while the sandbox sat idle.
        List<String> execs = DockerTestSupport.cli("events", "--since", String.valueOf(Instant.now().minusSeconds(300).getEpochSecond()),
                "--until", String.valueOf(Instant.now().getEpochSecond() + 1), "--filter", "container=" + sb.attributes().get("containerId"),
                "--filter", "event=exec_start", "--format", "{{.Action}}");
        assertThat(execs).as("execs run in the sandbox before its claimant's first").hasSize(2)
                .anySatisfy(e -> assertThat(e).contains("while read"))
                .anySatisfy(e -> assertThat(e).contains(".devs-channel"));
        assertThat(sb.attributes()).as("a claim's first command takes the channel opened while idle")
                .containsEntry("exec.path", "channel");
        assertThat(sb.exec("ps", "-o", "args").stdout()).as("no process of the pool is left in a claimed sandbox")
                .doesNotContain("while read");
        assertThat(sb.exec("sh", "-c", "echo \"$API_TOKEN\"; pwd; cat main.py data/input.txt").stdout())
                .isEqualTo("t-42\n/workspace/app\nprint(6 * 7)\nline 1\n");
        assertThat(sb.exec("sh", "-c", "stat -c %u /workspace/app/main.py").stdout()).as("written as the sandbox's user")
                .isEqualTo("65534\n");
        sb.stop();

        Sandbox next = pool.acquire(PATIENCE);
        assertThat(next.exec("sh", "-c", "echo \"[$API_TOKEN]\"; pwd; ls /workspace").stdout()).isEqualTo("[]\n/workspace\n");
        next.stop();
    }

    @Test
    void filesArriveByteForByteSmallAsArgumentsAndLargeThroughStdin() throws Exception {
        byte[] every = new byte[256 * 3];
        for (int i = 0; i < every.length; i++) {
            every[i] = (byte) i; // NUL, '%', '\\', newlines and bytes above 127: nothing may be read as a format
        }
        byte[] large = new byte[200 * 1024];
        new java.util.Random(42).nextBytes(large);
        try (Sandbox sb = provider.start(sleeper().build())) {
            sb.writeFile("small.bin", every);
            sb.writeFile("/workspace/deep/er/large.bin", large);

            assertThat(sb.exec("md5sum", "small.bin", "deep/er/large.bin").stdout())
                    .isEqualTo(md5(every) + "  small.bin\n" + md5(large) + "  deep/er/large.bin\n");
        }
    }

    private static String md5(byte[] content) throws Exception {
        return java.util.HexFormat.of().formatHex(java.security.MessageDigest.getInstance("MD5").digest(content));
    }

    @Test
    void aFileThatCannotBeWrittenFailsTheClaimNamingItAndLeavesNothing() {
        pool(1, 1);
        PoolClaim claim = PoolClaim.builder().file("/etc/readonly-root.conf", "x").build();

        assertThatThrownBy(() -> pool.acquire(claim, PATIENCE)).hasMessageContaining("/etc/readonly-root.conf")
                .hasMessageContaining("Read-only file system");
        await().atMost(PATIENCE).until(() -> pool.stats().idle() == 1 && pool.stats().inUse() == 0);
        assertThat(containers()).as("the failed claim's container is gone, the refill is there").isEqualTo(1);
    }

    @Test
    void concurrentClaimantsGetDistinctSandboxesAndMaxSizeHoldsUnderThreeTimesMaxSizeThreads() throws Exception {
        // Three claimants per slot keep every slot contended on the real engine; each claim costs a container start, so
        // the fifty-thread interleavings are left to the pool's in-memory test (SandboxPoolTest), where they are cheap.
        int claimants = 12;
        pool(2, 4);
        AtomicInteger peak = new AtomicInteger();
        Set<String> alive = ConcurrentHashMap.newKeySet();
        provider.addListener(e -> {
            if (e.type() == SandboxLifecycleEvent.Type.STARTING && !alive.contains(e.sandboxId())) {
                alive.add(e.sandboxId());
            } else if (e.type().endsLife() || e.type() == SandboxLifecycleEvent.Type.FAILED) {
                alive.remove(e.sandboxId());
            }
            peak.accumulateAndGet(alive.size(), Math::max);
        });
        Set<String> ids = ConcurrentHashMap.newKeySet();
        CyclicBarrier together = new CyclicBarrier(claimants);
        ExecutorService threads = Executors.newFixedThreadPool(claimants);
        List<CompletableFuture<Void>> claims = new ArrayList<>();
        for (int i = 0; i < claimants; i++) {
            claims.add(CompletableFuture.runAsync(() -> {
                try {
                    together.await(Patience.seconds(30).toMillis(), TimeUnit.MILLISECONDS);
                    try (Sandbox sb = pool.acquire(Patience.seconds(90))) {
                        assertThat(ids.add(sb.id())).as("sandbox %s handed out twice", sb.id()).isTrue();
                    }
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            }, threads));
        }
        CompletableFuture.allOf(claims.toArray(CompletableFuture[]::new)).get(Patience.seconds(110).toMillis(), TimeUnit.MILLISECONDS);
        threads.shutdown();

        assertThat(ids).hasSize(claimants);
        assertThat(peak.get()).as("sandboxes at once (idle + starting + in use)").isLessThanOrEqualTo(4);
    }

    @Test
    void aTemplateWhoseImageIsMissingOpensTheBreakerWithoutAHotLoop() {
        String missing = DockerTestSupport.REGISTRY + "/devs-pool-missing-" + UUID.randomUUID().toString().substring(0, 8) + ":1";
        // When each start began, by sandbox id: the refills' and the refused acquire's (which is left out below).
        Map<String, Long> startedAt = new java.util.concurrent.ConcurrentHashMap<>();
        provider.addListener(e -> {
            if (e.type() == SandboxLifecycleEvent.Type.STARTING) {
                startedAt.put(e.sandboxId(), System.nanoTime());
            }
        });
        pool = SandboxPool.builder(provider, SandboxSpec.builder(missing).command("sleep", "600").build()).name("broken")
                .minIdle(2).maxSize(4).failureThreshold(3).refillConcurrency(1).maxBackoff(Duration.ofSeconds(1)).build();
        await().atMost(PATIENCE).until(() -> pool.stats().breakerOpen());

        SandboxRuntimeUnavailableException refused = (SandboxRuntimeUnavailableException) org.assertj.core.api.Assertions
                .catchThrowable(() -> pool.acquire(Duration.ofSeconds(60)));
        assertThat(refused).isInstanceOf(SandboxRuntimeUnavailableException.class)
                .hasMessageContaining("not refilling").hasMessageContaining(missing);
        // The delays the breaker chose double from 100 ms up to the 1 s cap ...
        await().atMost(PATIENCE).until(() -> PoolBackoffs.of(pool).size() >= 5);
        List<Duration> backoffs = PoolBackoffs.of(pool);
        assertThat(backoffs).startsWith(Duration.ofMillis(100), Duration.ofMillis(200), Duration.ofMillis(400),
                Duration.ofMillis(800), Duration.ofSeconds(1));
        // ... and each start after the third failure waited out the back-off that failure chose: no hot loop.
        // (A lower bound on a gap between starts made one at a time: a slow machine only widens it.)
        List<Long> starts = startedAt.entrySet().stream().filter(e -> !e.getKey().equals(refused.sandboxId()))
                .map(Map.Entry::getValue).sorted().toList();
        for (int i = 0; i + 3 < starts.size() && i < backoffs.size(); i++) {
            assertThat(Duration.ofNanos(starts.get(i + 3) - starts.get(i + 2)))
                    .as("gap before start %d, after back-off %s", i + 4, backoffs.get(i)).isGreaterThanOrEqualTo(backoffs.get(i));
        }
        assertThat(containers()).isZero();
    }

    @Test
    void closeWithRefillsInFlightLeavesNoContainerAndNoVolume() {
        // A readiness probe that never passes: the refills are still starting, their containers made, when close() comes.
        pool = SandboxPool.builder(provider, sleeper().scratchVolume("/scratch").readinessProbe("test", "-f", "/tmp/never")
                .startupTimeout(Duration.ofMinutes(5)).build()).name("closing").minIdle(3).maxSize(3).build();
        // Two: the default refill concurrency.
        await().atMost(PATIENCE).until(() -> pool.stats().starting() == 2 && containers() == 2);
        assertThat(pool.stats().idle()).as("idle sandboxes before the close").isZero();

        pool.close();

        assertThat(events.types().stream().filter(t -> t == SandboxLifecycleEvent.Type.FAILED))
                .as("starts the close ended").hasSize(2);
        assertThat(DockerTestSupport.containersLabelled(ResourceLabels.SESSION, session)).isEmpty();
        assertThat(DockerTestSupport.volumesLabelled(ResourceLabels.SESSION, session)).isEmpty();
    }

    @Test
    void anIdleContainerOlderThanItsTimeToLiveIsReplaced() {
        pool = SandboxPool.builder(provider, sleeper().build()).name("ttl").minIdle(1).maxSize(2)
                .idleTimeToLive(Duration.ofSeconds(1)).build();
        await().atMost(PATIENCE).until(() -> pool.stats().idle() == 1);
        String first = provider.liveSandboxes().get(0).id();

        await().atMost(PATIENCE).until(() -> provider.liveSandboxes().stream().noneMatch(s -> s.id().equals(first))
                && pool.stats().idle() == 1);

        DockerTestSupport.assertNothingLeftOf(first);
    }
}
