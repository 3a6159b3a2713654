package dev.devs.sandbox.webcontainer;

import dev.devs.sandbox.tck.Patience;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.devs.sandbox.PoolClaim;
import dev.devs.sandbox.Sandbox;
import dev.devs.sandbox.SandboxPool;
import dev.devs.sandbox.SandboxSpec;
import dev.devs.sandbox.StartType;
import dev.devs.sandbox.webcontainer.testing.StandInRuntime;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A pool of pre-booted WebContainers (browser contexts) in a real Chromium, booting the real client against the
 * loopback TEST STAND-IN of the runtime.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class WebContainerPoolTest extends WithStandInProvider {
    private static final Duration PATIENCE = Patience.seconds(30);

    private SandboxPool pool;

    /** Runs before the base class closes the provider, which the pool's checks still need. */
    @AfterEach
    void closePool() throws Exception {
        if (pool != null) {
            pool.close();
            assertThat(contexts()).as("browser contexts after the pool closed").isEqualTo(provider.liveSandboxes().size());
            // A closed page may stay listed for a moment after its session detached; a leaked one stays.
            await().atMost(Patience.seconds(5)).untilAsserted(() -> assertThat(hiddenPagesOutsideOpenContexts())
                    .as("the driver's pages left after their contexts were disposed").isEmpty());
        }
    }

    private int contexts() throws Exception {
        var cdp = driver.browserConnection();
        return cdp.isEmpty() ? 0 : cdp.get().browserContextIds(Duration.ofSeconds(5)).size(); // no browser, no context
    }

    /** The driver's pages are hidden targets (Chromium lists them as type "other"); one outside its context leaked. */
    private List<String> hiddenPagesOutsideOpenContexts() throws Exception {
        var cdp = driver.browserConnection();
        if (cdp.isEmpty()) {
            return List.of();
        }
        List<String> open = cdp.get().browserContextIds(Duration.ofSeconds(5));
        return cdp.get().targets(Duration.ofSeconds(5)).stream()
                .filter(t -> "other".equals(t.type()) && !open.contains(t.browserContextId()))
                .map(t -> t.targetId() + " " + t.url()).toList();
    }

    private SandboxPool pool(int minIdle, int maxSize) {
        pool = SandboxPool.builder(provider, SandboxSpec.builder().build()).name("wc").minIdle(minIdle).maxSize(maxSize).build();
        return pool;
    }

    @Test
    void aClaimGetsABootedWebContainerWithItsEnvFilesAndWorkingDirectory() {
        pool(1, 2);
        await().atMost(PATIENCE).until(() -> pool.stats().idle() == 1);
        PoolClaim claim = PoolClaim.builder().env("API_TOKEN", "t-7").workingDir("app").file("main.js", "console.log(42)")
                .build();

        Sandbox sb = pool.acquire(claim, PATIENCE);

        assertThat(sb.startType()).isEqualTo(StartType.POOLED);
        assertThat(sb.attributes()).containsEntry("pool", "wc").containsEntry("runtime", StandInRuntime.RUNTIME);
        assertThat(sb.exec("env").stdout()).contains("API_TOKEN=t-7\n");
        assertThat(sb.exec("cat", "main.js").stdout()).isEqualTo("console.log(42)");
        assertThat(sb.exec("pwd").stdout()).endsWith("/app\n");
        sb.stop();

        Sandbox next = pool.acquire(PATIENCE);
        assertThat(next.id()).isNotEqualTo(sb.id());
        assertThat(next.exec("env").stdout()).doesNotContain("API_TOKEN");
        assertThat(next.exec("cat", "app/main.js").exitCode()).as("the previous claim's file is not there").isNotZero();
        next.stop();
    }

    @Test
    void concurrentClaimantsGetDistinctWebContainersWithinMaxSize() throws Exception {
        pool(1, 3);
        Set<String> ids = ConcurrentHashMap.newKeySet();
        List<CompletableFuture<Void>> claims = new ArrayList<>();
        for (int i = 0; i < 8; i++) {
            claims.add(CompletableFuture.runAsync(() -> {
                try (Sandbox sb = pool.acquire(Duration.ofSeconds(90))) {
                    assertThat(ids.add(sb.id())).isTrue();
                    assertThat(pool.stats().total()).isLessThanOrEqualTo(3);
                }
            }));
        }
        CompletableFuture.allOf(claims.toArray(CompletableFuture[]::new)).get(110, TimeUnit.SECONDS);

        assertThat(ids).hasSize(8);
    }

    @Test
    void closeWithRefillsInFlightLeavesNoBrowserContext() throws Exception {
        pool(3, 3);
        await().atMost(PATIENCE).until(() -> pool.stats().starting() > 0 || pool.stats().idle() > 0);

        pool.close();

        assertThat(provider.liveSandboxes()).isEmpty();
        assertThat(contexts()).isZero();
    }
}
