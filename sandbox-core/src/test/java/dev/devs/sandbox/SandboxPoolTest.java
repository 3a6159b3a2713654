package dev.devs.sandbox;

import dev.devs.sandbox.tck.Patience;
import static dev.devs.sandbox.SandboxLifecycleEvent.Type.FAILED;
import static dev.devs.sandbox.SandboxLifecycleEvent.Type.READY;
import static dev.devs.sandbox.SandboxLifecycleEvent.Type.STARTING;
import static dev.devs.sandbox.SandboxLifecycleEvent.Type.STOPPED;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.devs.sandbox.tck.RecordingListener;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The pool's bookkeeping on the in-process scripted driver: what it hands out, when it refills, how it fails.
 * The same behaviours against the real engine and a real Chromium are tested in the driver modules.
 */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class SandboxPoolTest {
    private final ScriptedDriver driver = new ScriptedDriver();
    private final RecordingListener events = new RecordingListener();
    private final SandboxProvider provider = SandboxProvider.builder(driver).listener(events).build();
    private final SandboxSpec template = SandboxSpec.builder("img:1").env("BASE", "1").build();
    private SandboxPool pool;

    @AfterEach
    void close() {
        if (pool != null) {
            pool.close();
        }
        provider.close();
        assertThat(driver.alive).as("sandboxes left after pool and provider closed").isEmpty();
    }

    private SandboxPool pool(int minIdle, int maxSize) {
        pool = SandboxPool.builder(provider, template).name("test").minIdle(minIdle).maxSize(maxSize).build();
        return pool;
    }

    private void awaitIdle(int n) {
        await().atMost(Patience.seconds(10)).until(() -> pool.stats().idle() == n);
    }

    @Test
    void fillsToMinIdleAndHandsOutAPooledSandboxWithItsOwnEvents() {
        pool(2, 4);
        awaitIdle(2);
        List<String> idleIds = provider.liveSandboxes().stream().map(Sandbox::id).toList();
        events.clear();

        Sandbox sb = pool.acquire(Duration.ofSeconds(5));

        assertThat(sb.startType()).isEqualTo(StartType.POOLED);
        assertThat(events.typesOf(sb.id())).containsExactly(STARTING, READY);
        var ready = (SandboxLifecycleEvent.Ready) events.eventsOf(sb.id()).get(1);
        assertThat(ready.startType()).isEqualTo(StartType.POOLED);
        assertThat(ready.duration()).isEqualTo(sb.provisioningDuration());
        assertThat(ready.phases()).containsKey("wait");
        assertThat(ready.attributes()).containsEntry("pool", "test").containsEntry("image", "img:1");
        assertThat(idleIds).as("the claim is one of the idle sandboxes, not a new start").contains(sb.id());
        assertThat(sb.isAlive()).isTrue();
    }

    @Test
    void refillsAfterEachClaimAndAStoppedClaimNeverComesBack() {
        pool(1, 3);
        Set<String> seen = new HashSet<>();
        for (int i = 0; i < 5; i++) {
            Sandbox sb = pool.acquire(Duration.ofSeconds(5));
            assertThat(seen.add(sb.id())).as("sandbox %s handed out twice", sb.id()).isTrue();
            assertThat(sb.stop()).isEqualTo(StopOutcome.STOPPED);
            assertThat(driver.alive).doesNotContain(sb.id());
        }
        awaitIdle(1);
        assertThat(driver.starts).hasValue(6); // one per claim plus the one idle now
    }

    @Test
    void concurrentClaimantsGetDistinctSandboxesAndMaxSizeHoldsUnderFiftyThreads() throws Exception {
        driver.startDelay = Duration.ofMillis(20);
        pool(2, 5);
        AtomicInteger peak = new AtomicInteger();
        provider.addListener(e -> peak.accumulateAndGet(driver.alive.size(), Math::max));
        Set<String> ids = ConcurrentHashMap.newKeySet();
        CyclicBarrier together = new CyclicBarrier(50);
        List<CompletableFuture<Void>> claims = new ArrayList<>();
        for (int i = 0; i < 50; i++) {
            claims.add(CompletableFuture.runAsync(() -> {
                try {
                    together.await(10, TimeUnit.SECONDS);
                    Sandbox sb = pool.acquire(Duration.ofSeconds(20));
                    assertThat(ids.add(sb.id())).isTrue();
                    assertThat(pool.stats().total()).isLessThanOrEqualTo(5);
                    sb.stop();
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            }, java.util.concurrent.Executors.newCachedThreadPool()));
        }
        CompletableFuture.allOf(claims.toArray(CompletableFuture[]::new)).get(25, TimeUnit.SECONDS);

        assertThat(ids).hasSize(50);
        assertThat(peak.get()).as("sandboxes alive at once").isLessThanOrEqualTo(5);
    }

    @Test
    void aClaimCarriesItsEnvFilesAndWorkingDirectoryToEveryExec() {
        pool(1, 2);
        PoolClaim claim = PoolClaim.builder().env("API_TOKEN", "t-1").workingDir("/workspace/app")
                .file("main.py", "print(42)").file("/etc/extra.conf", "x=1").build();

        Sandbox sb = pool.acquire(claim, Duration.ofSeconds(5));

        assertThat(sb.startType()).isEqualTo(StartType.POOLED);
        assertThat(sb.exec("env").stdout()).isEqualTo("API_TOKEN=t-1 cwd=/workspace/app env");
        assertThat(sb.spec().env()).containsEntry("BASE", "1").containsEntry("API_TOKEN", "t-1");
        assertThat(driver.files.get(sb.id())).containsOnlyKeys("/workspace/app/main.py", "/etc/extra.conf");
        assertThat(new String(driver.files.get(sb.id()).get("/workspace/app/main.py"), StandardCharsets.UTF_8)).isEqualTo("print(42)");
        assertThat(((SandboxLifecycleEvent.Ready) events.eventsOf(sb.id()).get(3)).phases()).containsKeys("wait", "customize");

        Sandbox plain = pool.acquire(Duration.ofSeconds(5));
        assertThat(plain.exec("env").stdout()).as("nothing of one claim leaks into the next").isEqualTo("cwd=null env");
        assertThat(driver.files.get(plain.id())).isNull();
    }

    @Test
    void theReplacementOfAClaimedSandboxStartsOnlyOnceTheClaimIsApplied() {
        pool(1, 2);
        awaitIdle(1);
        // Long enough for a refill launched before the claim's files to reach start(): it runs on its own thread.
        driver.watchStartsDuringWrites = Duration.ofMillis(500);

        Sandbox sb = pool.acquire(PoolClaim.builder().file("input.txt", "x").build(), Duration.ofSeconds(5));

        assertThat(driver.startsDuringWrites).as("a refill started while the claim's files were being written").containsExactly(false);
        assertThat(sb.startType()).isEqualTo(StartType.POOLED);
        awaitIdle(1);
        assertThat(driver.starts).as("the claimed sandbox was replaced all the same").hasValue(2);
    }

    @Test
    void aRequestDifferingWhereARunningSandboxCannotChangeIsRefusedNamingTheField() {
        pool(0, 1);

        assertThatThrownBy(() -> pool.acquire(template.toBuilder().memoryBytes(64L << 20).build(), Duration.ofSeconds(1)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("memoryBytes");
        assertThatThrownBy(() -> pool.acquire(template.toBuilder().image("other:2").build(), Duration.ofSeconds(1)))
                .hasMessageContaining("image").hasMessageContaining("other:2");
        assertThatThrownBy(() -> pool.acquire(SandboxSpec.builder("img:1").build(), Duration.ofSeconds(1)))
                .hasMessageContaining("env BASE");

        Sandbox sb = pool.acquire(template.toBuilder().env("EXTRA", "2").build(), Duration.ofSeconds(5));
        assertThat(sb.exec("x").stdout()).isEqualTo("EXTRA=2 cwd=null x");
    }

    @Test
    void aWaitThatRunsOutNamesThePoolsState() {
        pool(0, 1);
        Sandbox held = pool.acquire(Duration.ofSeconds(5));
        events.clear();

        assertThatThrownBy(() -> pool.acquire(Duration.ofMillis(200)))
                .isInstanceOf(SandboxTimeoutException.class)
                .hasMessageContaining("pool 'test'").hasMessageContaining("idle 0").hasMessageContaining("in use 1 of maxSize 1");
        // No refill runs meanwhile: the pool is at maxSize with the held sandbox.
        assertThat(events.types()).containsExactly(STARTING, FAILED);
        assertThat(events.last(SandboxLifecycleEvent.Failed.class).startType()).contains(StartType.POOLED);
        held.stop();
    }

    @Test
    void refillsThatKeepFailingOpenTheBreakerWithoutAHotLoopAndTheFirstSuccessClosesIt() {
        driver.missingImage = "img:1";
        pool = SandboxPool.builder(provider, template).name("test").minIdle(2).maxSize(4).failureThreshold(3)
                .refillConcurrency(1).maxBackoff(Duration.ofMillis(400)).build();
        await().atMost(Patience.seconds(5)).until(() -> pool.stats().breakerOpen());

        // Fails at once with the refill error (a wait that ran out would be a SandboxTimeoutException).
        assertThatThrownBy(() -> pool.acquire(Duration.ofSeconds(60)))
                .isInstanceOf(SandboxRuntimeUnavailableException.class)
                .hasMessageContaining("not refilling").hasMessageContaining("image 'img:1' not found")
                .hasCauseInstanceOf(ImageNotFoundException.class);

        // The delays the breaker chose double from 100 ms up to the cap.
        await().atMost(Patience.seconds(10)).until(() -> pool.recentBackoffs().size() >= 5);
        List<Duration> backoffs = pool.recentBackoffs();
        assertThat(backoffs).startsWith(Duration.ofMillis(100), Duration.ofMillis(200), Duration.ofMillis(400),
                Duration.ofMillis(400), Duration.ofMillis(400));
        // No hot loop: starts run one at a time, and each start after the third failure waited out the back-off
        // that failure chose. (A lower bound on a gap: a slow machine only widens it.)
        List<Long> startedAt = new ArrayList<>(driver.startedAt);
        for (int i = 0; i + 3 < startedAt.size() && i < backoffs.size(); i++) {
            assertThat(Duration.ofNanos(startedAt.get(i + 3) - startedAt.get(i + 2)))
                    .as("gap before start %d, after back-off %s", i + 4, backoffs.get(i))
                    .isGreaterThanOrEqualTo(backoffs.get(i));
        }

        driver.missingImage = null;
        awaitIdle(2);
        assertThat(pool.stats().breakerOpen()).isFalse();
        assertThat(pool.stats().consecutiveFailures()).isZero();
        assertThat(pool.acquire(Duration.ofSeconds(5)).startType()).isEqualTo(StartType.POOLED);
    }

    @Test
    void closeWithRefillsInFlightLeavesNothingBehind() {
        // Starts that cannot finish before the close: the refills are certainly in flight when it comes.
        driver.startGate = new java.util.concurrent.CountDownLatch(1);
        pool(3, 3);
        // Two: the default refill concurrency.
        await().atMost(Patience.seconds(5)).until(() -> pool.stats().starting() == 2 && driver.starts.get() == 2);
        assertThat(pool.stats().idle()).as("idle sandboxes before the close").isZero();

        pool.close();

        assertThat(driver.alive).as("sandboxes of the closed pool").isEmpty();
        assertThat(events.types().stream().filter(t -> t == STARTING)).as("starts begun").hasSize(2);
        assertThat(events.types().stream().filter(t -> t == FAILED)).as("starts the close ended").hasSize(2);
        assertThatThrownBy(() -> pool.acquire(Duration.ofSeconds(1))).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("closed");
    }

    @Test
    void anIdleSandboxOlderThanItsTimeToLiveIsReplaced() {
        pool = SandboxPool.builder(provider, template).name("test").minIdle(1).maxSize(2)
                .idleTimeToLive(Duration.ofMillis(300)).build();
        awaitIdle(1);
        String first = provider.liveSandboxes().get(0).id();

        await().atMost(Patience.seconds(5)).until(() -> !driver.alive.contains(first) && pool.stats().idle() == 1);

        assertThat(events.typesOf(first)).endsWith(STOPPED);
        assertThat(provider.liveSandboxes()).extracting(Sandbox::id).doesNotContain(first);
    }

    @Test
    void badSettingsAreRefusedNamingTheValue() {
        assertThatThrownBy(() -> SandboxPool.builder(provider, template).minIdle(3).maxSize(2).build())
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("minIdle 3");
        assertThatThrownBy(() -> SandboxPool.builder(provider, template).name("a b").build())
                .hasMessageContaining("pool name 'a b'");
        driver.rejectSpecs = true;
        assertThatThrownBy(() -> SandboxPool.builder(provider, template).build()).hasMessageContaining("img:1");
        assertThat(driver.starts).hasValue(0);
    }
}
