package dev.devs.sandbox.metrics;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.datatype.jsr310.JavaTimeModule;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.List;
import java.util.Map;
import java.util.OptionalDouble;
import java.util.Set;

/**
 * The report's JSON shape (docs/design.md "Report contract"). Key order is fixed so that reports diff well:
 * headline first (the keys the original specification checks), then the metadata, the series, the stops, the failures, then the
 * extra sections in the order they were first put.
 */
final class ReportJson {

    /** Top-level keys whose meaning the contract fixes; {@code putSection} may not use them. */
    static final Set<String> RESERVED_KEYS = Set.of("driver", "startType", "samples", "p50Ms", "p95Ms", "p99Ms",
            "generatedAt", "windowSize", "series", "stops", "failures");

    /** Keys of every series and stop series entry; a series attribute may not use them. */
    static final Set<String> SERIES_KEYS = Set.of("driver", "startType", "samples", "p50Ms", "p95Ms", "p99Ms", "count",
            "failures", "stopped", "killed");

    static final ObjectMapper MAPPER = JsonMapper.builder()
            .addModule(new JavaTimeModule())
            .disable(SerializationFeature.WRITE_DATES_AS_TIMESTAMPS)
            .enable(SerializationFeature.INDENT_OUTPUT)
            .build();

    // Always milliseconds and a Z: Instant.toString drops zero fractions and prints nanos, which makes
    // columns ragged and surprises parsers that expect "...51.123Z" (docs/design.md "Report contract").
    private static final DateTimeFormatter TIMESTAMP =
            DateTimeFormatter.ofPattern("uuuu-MM-dd'T'HH:mm:ss.SSS'Z'").withZone(ZoneOffset.UTC);

    private ReportJson() {
    }

    static String timestamp(Instant instant) {
        return TIMESTAMP.format(instant);
    }

    static byte[] render(LatencyStats stats, Map<String, JsonNode> sections) throws JsonProcessingException {
        ObjectNode root = MAPPER.createObjectNode();
        stats.headline().ifPresentOrElse(h -> {
            root.put("driver", h.driver());
            root.put("startType", h.startType().wireName());
            root.set("samples", samples(h.samples()));
            putPercentiles(root, h.p50Ms(), h.p95Ms(), h.p99Ms());
        }, () -> root.set("samples", MAPPER.createArrayNode()));
        root.put("generatedAt", timestamp(stats.generatedAt()));
        root.put("windowSize", stats.windowSize());

        ArrayNode series = root.putArray("series");
        for (LatencyStats.Series s : stats.series()) {
            ObjectNode n = series.addObject();
            n.put("driver", s.driver());
            n.put("startType", s.startType().wireName());
            n.set("samples", samples(s.samples()));
            putPercentiles(n, s.p50Ms(), s.p95Ms(), s.p99Ms());
            n.put("count", s.count());
            n.put("failures", s.failures());
            putAttributes(n, s.attributes());
            // The runtime is part of the series' key: written even when it is not among the copied attributes.
            if (!s.runtime().isEmpty() && !n.has("runtime")) {
                n.put("runtime", s.runtime());
            }
        }

        ArrayNode stops = root.putArray("stops");
        for (LatencyStats.Stops s : stats.stops()) {
            ObjectNode n = stops.addObject();
            n.put("driver", s.driver());
            n.set("samples", samples(s.samples()));
            putPercentiles(n, s.p50Ms(), s.p95Ms(), s.p99Ms());
            n.put("count", s.count());
            n.put("stopped", s.stopped());
            n.put("killed", s.killed());
            putAttributes(n, s.attributes());
        }

        ArrayNode failures = root.putArray("failures");
        for (LatencyStats.Failures f : stats.failures()) {
            ObjectNode n = failures.addObject();
            n.put("driver", f.driver());
            if (f.startType() != null) {
                n.put("startType", f.startType().wireName());
            }
            n.put("count", f.count());
            if (f.lastError() != null) {
                n.put("lastError", f.lastError());
            }
        }

        sections.forEach(root::set);
        return MAPPER.writeValueAsBytes(root);
    }

    // In the map's order, which is the order the reporter was told to copy them in.
    private static void putAttributes(ObjectNode n, Map<String, String> attributes) {
        attributes.forEach(n::put);
    }

    private static ArrayNode samples(List<LatencyStats.Sample> samples) {
        ArrayNode array = MAPPER.createArrayNode();
        for (LatencyStats.Sample s : samples) {
            ObjectNode n = array.addObject();
            n.put("durationMs", s.durationMs());
            n.put("timestamp", timestamp(s.timestamp()));
            n.put("sandboxId", s.sandboxId());
            if (!s.phasesMs().isEmpty()) {
                ObjectNode phases = n.putObject("phasesMs");
                s.phasesMs().forEach(phases::put);
            }
        }
        return array;
    }

    // An empty window has no percentile: the key is left out rather than written as 0 or null.
    private static void putPercentiles(ObjectNode n, OptionalDouble p50, OptionalDouble p95, OptionalDouble p99) {
        p50.ifPresent(v -> n.put("p50Ms", v));
        p95.ifPresent(v -> n.put("p95Ms", v));
        p99.ifPresent(v -> n.put("p99Ms", v));
    }
}
