package dev.devs.sandbox.metrics;

import dev.devs.sandbox.tck.Patience;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.devs.sandbox.Sandbox;
import dev.devs.sandbox.SandboxPool;
import dev.devs.sandbox.SandboxProvider;
import dev.devs.sandbox.SandboxSpec;
import dev.devs.sandbox.ScriptedDriver;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Pool meters against a real pool (on the in-process scripted driver), read from a Prometheus scrape. */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class SandboxPoolMetricsTest {

    @Test
    void scrapeShowsThePoolsStatesAndItsHandOutHistogram() {
        PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        try (SandboxProvider provider = SandboxProvider.of(new ScriptedDriver());
             SandboxPool pool = SandboxPool.builder(provider, SandboxSpec.builder("img:1").build()).name("py")
                     .minIdle(2).maxSize(3).build()) {
            SandboxPoolMetrics metrics = new SandboxPoolMetrics(pool);
            metrics.bindTo(registry);
            provider.addListener(metrics);
            await().atMost(Patience.seconds(10)).until(() -> pool.stats().idle() == 2);

            Sandbox held = pool.acquire(Duration.ofSeconds(5));
            await().atMost(Patience.seconds(10)).until(() -> pool.stats().idle() == 2);
            String scrape = registry.scrape();

            assertThat(scrape).contains("sandbox_pool_sandboxes{pool=\"py\",state=\"in_use\"} 1.0")
                    .contains("sandbox_pool_sandboxes{pool=\"py\",state=\"idle\"} 2.0")
                    .contains("sandbox_pool_sandboxes{pool=\"py\",state=\"starting\"} 0.0")
                    .contains("sandbox_pool_handout_duration_seconds_count{driver=\"scripted\",pool=\"py\"} 1")
                    // the bucket at the 5 ms target exists (whether this one hand-out fell in it depends on the machine)
                    .contains("sandbox_pool_handout_duration_seconds_bucket{driver=\"scripted\",pool=\"py\",le=\"0.005\"}");
            held.stop();
            await().atMost(Patience.seconds(10)).until(() -> registry.scrape()
                    .contains("sandbox_pool_sandboxes{pool=\"py\",state=\"in_use\"} 0.0"));
        }
    }

    @Test
    void theHandOutBucketsAreTheOnesTheBuilderSets() {
        PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        try (SandboxProvider provider = SandboxProvider.of(new ScriptedDriver());
             SandboxPool pool = SandboxPool.builder(provider, SandboxSpec.builder("img:1").build()).name("quick")
                     .minIdle(1).maxSize(1).build()) {
            SandboxPoolMetrics metrics = SandboxPoolMetrics.builder(pool).handoutBuckets(Duration.ofMillis(3), Duration.ofMillis(1))
                    .build();
            metrics.bindTo(registry);
            provider.addListener(metrics);
            await().atMost(Patience.seconds(10)).until(() -> pool.stats().idle() == 1);

            pool.acquire(Duration.ofSeconds(5)).stop();
            String scrape = registry.scrape();

            assertThat(scrape).contains("sandbox_pool_handout_duration_seconds_bucket{driver=\"scripted\",pool=\"quick\",le=\"0.001\"}")
                    .contains("sandbox_pool_handout_duration_seconds_bucket{driver=\"scripted\",pool=\"quick\",le=\"0.003\"}")
                    .doesNotContain("sandbox_pool_handout_duration_seconds_bucket{driver=\"scripted\",pool=\"quick\",le=\"0.005\"}");
        }
    }

    @Test
    void aBucketBoundThatIsNotPositiveIsRefusedNamingIt() {
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> SandboxPoolMetrics.builder().handoutBuckets(Duration.ZERO))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("handoutBuckets PT0S is not positive");
    }
}
