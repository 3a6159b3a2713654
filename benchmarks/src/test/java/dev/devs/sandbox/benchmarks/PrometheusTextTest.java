package dev.devs.sandbox.benchmarks;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.micrometer.core.instrument.composite.CompositeMeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PrometheusTextTest {

    @TempDir
    Path dir;

    @Test
    void writesTheScrapeTextAtomicallyAndFindsThePrometheusRegistryInAComposite() throws IOException {
        PrometheusMeterRegistry prometheus = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        prometheus.counter("sandbox.provisioning.failures", "driver", "docker").increment();
        CompositeMeterRegistry composite = new CompositeMeterRegistry();
        composite.add(new SimpleMeterRegistry());
        composite.add(prometheus);
        Path target = dir.resolve("reports/metrics.prom");
        assertThat(PrometheusText.write(composite, target)).isEqualTo(target);
        assertThat(Files.readString(target)).contains("sandbox_provisioning_failures_total{driver=\"docker\"} 1.0");
        try (var files = Files.list(target.getParent())) {
            assertThat(files.map(p -> p.getFileName().toString())).containsExactly("metrics.prom");
        }
        assertThatThrownBy(() -> PrometheusText.scrape(new SimpleMeterRegistry()))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("SimpleMeterRegistry")
                .hasMessageContaining("PrometheusMeterRegistry");
        prometheus.close();
    }
}
