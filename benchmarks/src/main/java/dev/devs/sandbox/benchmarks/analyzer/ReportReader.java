package dev.devs.sandbox.benchmarks.analyzer;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Reads a report (docs/design.md "Report contract") strictly enough that every number the analyzer prints
 * comes from a well-formed sample, and names the exact field when one is not. Accepts the original
 * specification's single-series shape too (only the top-level {@code driver, startType, samples}), read as
 * one series. Series attributes ({@code endpoint}, {@code runtime}, {@code image}) are optional string keys of
 * a series, in reports old and new alike.
 */
final class ReportReader {

    private static final ObjectMapper JSON = new ObjectMapper();
    /** The engine of a peer whose entry names none: dockerd, where our driver is named {@code docker}. */
    static final String DOCKER = "docker";

    private ReportReader() {
    }

    static LatencyReport read(Path path) throws MalformedReportException {
        byte[] bytes;
        try {
            bytes = Files.readAllBytes(path);
        } catch (NoSuchFileException e) {
            throw new MalformedReportException("report " + path + " is missing (run scripts/run_sandbox_latency_benchmark.sh first)");
        } catch (IOException e) {
            throw new MalformedReportException("report " + path + " cannot be read: " + e);
        }
        if (new String(bytes, java.nio.charset.StandardCharsets.UTF_8).isBlank()) {
            throw new MalformedReportException("report " + path + " is empty");
        }
        JsonNode root;
        try {
            root = JSON.readTree(bytes);
        } catch (JsonProcessingException e) {
            throw new MalformedReportException("report " + path + " is not valid JSON: "
                    + e.getOriginalMessage().lines().findFirst().orElse("") + " at line " + e.getLocation().getLineNr());
        } catch (IOException e) {
            throw new MalformedReportException("report " + path + " cannot be parsed: " + e);
        }
        if (root == null || !root.isObject()) {
            throw new MalformedReportException("report " + path + " is not a JSON object");
        }
        try {
            return parse(path, root);
        } catch (MalformedReportException e) {
            if (e.getMessage().startsWith("report ")) {
                throw e;
            }
            throw new MalformedReportException("report " + path + " is malformed: " + e.getMessage());
        }
    }

    private static LatencyReport parse(Path path, JsonNode root) throws MalformedReportException {
        List<LatencyReport.Series> series = new ArrayList<>();
        JsonNode seriesNode = root.get("series");
        if (seriesNode != null) {
            requireArray(seriesNode, "series");
            for (int i = 0; i < seriesNode.size(); i++) {
                series.add(series(seriesNode.get(i), "series[" + i + "]"));
            }
        } else if (root.has("samples")) {
            series.add(series(root, "(top level)"));
        } else {
            throw new MalformedReportException("report " + path + " has neither 'series' nor top-level 'samples'");
        }

        List<LatencyReport.Stops> stops = new ArrayList<>();
        JsonNode stopsNode = root.get("stops");
        if (stopsNode != null && !stopsNode.isNull()) {
            requireArray(stopsNode, "stops");
            for (int i = 0; i < stopsNode.size(); i++) {
                String where = "stops[" + i + "]";
                JsonNode s = requireObject(stopsNode.get(i), where);
                stops.add(new LatencyReport.Stops(text(s, "driver", where, true), durations(s, where),
                        count(s, "stopped", where), count(s, "killed", where), text(s, "runtime", where, false),
                        text(s, "endpoint", where, false), optionalNumber(s, "p95Ms", where)));
            }
        }

        List<LatencyReport.Peer> peers = new ArrayList<>();
        JsonNode peersNode = root.get("peers");
        if (peersNode != null && !peersNode.isNull()) {
            requireArray(peersNode, "peers");
            for (int i = 0; i < peersNode.size(); i++) {
                String where = "peers[" + i + "]";
                JsonNode p = requireObject(peersNode.get(i), where);
                String engine = text(p, "engine", where, false);
                peers.add(new LatencyReport.Peer(text(p, "name", where, true), engine == null ? DOCKER : engine,
                        text(p, "description", where, false), text(p, "image", where, false), durations(p, where),
                        optionalNumber(p, "p95Ms", where)));
            }
        }

        List<LatencyReport.Engine> engines = new ArrayList<>();
        JsonNode enginesNode = root.get("engines");
        if (enginesNode != null && !enginesNode.isNull()) {
            requireArray(enginesNode, "engines");
            for (int i = 0; i < enginesNode.size(); i++) {
                String where = "engines[" + i + "]";
                JsonNode e = requireObject(enginesNode.get(i), where);
                engines.add(new LatencyReport.Engine(text(e, "driver", where, true), text(e, "host", where, false),
                        text(e, "version", where, false), durations(e, "interleavedStopsMs", where)));
            }
        }

        boolean anySample = series.stream().anyMatch(s -> !s.samples().isEmpty());
        boolean anyFailure = series.stream().anyMatch(s -> s.failures() > 0);
        if (!anySample && !anyFailure) {
            throw new MalformedReportException("report " + path + " holds no provisioning sample (every series is empty)");
        }
        JsonNode generatedAt = root.get("generatedAt");
        return new LatencyReport(path, generatedAt == null || !generatedAt.isTextual() ? null : generatedAt.asText(),
                series, stops, peers, reasons(root, "skippedRuntimes"), engines, reasons(root, "skippedEngines"), bursts(root), execs(root));
    }

    /** The {@code exec} section: {"docker": {"path": .., "true": {"driver": {"samples"}, "engine": {"samples"}}, ..}, ..}. */
    private static List<LatencyReport.Exec> execs(JsonNode root) throws MalformedReportException {
        List<LatencyReport.Exec> execs = new ArrayList<>();
        JsonNode node = root.get("exec");
        if (node == null || node.isNull()) {
            return execs;
        }
        requireObject(node, "exec");
        for (var engines = node.fieldNames(); engines.hasNext(); ) {
            String engine = engines.next();
            JsonNode e = requireObject(node.get(engine), "exec." + engine);
            for (var commands = e.fieldNames(); commands.hasNext(); ) {
                String command = commands.next();
                JsonNode c = e.get(command);
                if (!c.isObject() || !c.has("driver") || !c.has("engine")) {
                    continue; // path, pathReason, parallel: not a command's series
                }
                String where = "exec." + engine + "." + command;
                execs.add(new LatencyReport.Exec(engine, command, text(c, "path", where, false),
                        durations(requireObject(c.get("driver"), where + ".driver"), where + ".driver"),
                        durations(requireObject(c.get("engine"), where + ".engine"), where + ".engine")));
            }
        }
        return execs;
    }

    private static List<LatencyReport.Burst> bursts(JsonNode root) throws MalformedReportException {
        List<LatencyReport.Burst> bursts = new ArrayList<>();
        JsonNode node = root.get("burst");
        if (node == null || node.isNull() || node.isObject()) {
            return bursts; // absent, or the single-burst form of older reports, which judged survivors only and is not read
        }
        requireArray(node, "burst");
        for (int i = 0; i < node.size(); i++) {
            String where = "burst[" + i + "]";
            JsonNode b = requireObject(node.get(i), where);
            JsonNode driver = requireObject(b.get("driver"), where + ".driver");
            JsonNode raw = requireObject(b.get("raw"), where + ".raw");
            List<String> firstFailures = new ArrayList<>();
            JsonNode ff = driver.get("firstFailures");
            if (ff != null && ff.isArray()) {
                ff.forEach(f -> firstFailures.add(f.asText()));
            }
            bursts.add(new LatencyReport.Burst(text(b, "engine", where, true), (int) count(b, "size", where),
                    side(driver, where + ".driver"), side(raw, where + ".raw"), firstFailures));
        }
        return bursts;
    }

    private static LatencyReport.BurstSide side(JsonNode s, String where) throws MalformedReportException {
        return new LatencyReport.BurstSide((int) count(s, "attempted", where), (int) count(s, "failed", where),
                durations(s, "samplesMs", where), optionalNumber(s, "startsPerSecond", where), optionalNumber(s, "heapPeakMb", where),
                optionalNumber(s, "queuedP50Ms", where), optionalNumber(s, "queuedP95Ms", where));
    }

    /** A section of the form {"name": "why it was not measured", ...}, or an empty map when absent. */
    private static java.util.Map<String, String> reasons(JsonNode root, String section) throws MalformedReportException {
        java.util.Map<String, String> out = new java.util.TreeMap<>();
        JsonNode node = root.get(section);
        if (node != null && !node.isNull()) {
            requireObject(node, section);
            for (var it = node.fieldNames(); it.hasNext(); ) {
                String name = it.next();
                out.put(name, text(node, name, section, true));
            }
        }
        return out;
    }

    private static LatencyReport.Series series(JsonNode node, String where) throws MalformedReportException {
        JsonNode s = requireObject(node, where);
        List<Double> samples = durations(s, where);
        long count = s.has("count") ? count(s, "count", where) : samples.size();
        return new LatencyReport.Series(text(s, "driver", where, true), text(s, "startType", where, true), samples, count,
                s.has("failures") ? count(s, "failures", where) : 0,
                text(s, "endpoint", where, false), text(s, "runtime", where, false), text(s, "image", where, false),
                optionalNumber(s, "p95Ms", where));
    }

    private static List<Double> durations(JsonNode owner, String where) throws MalformedReportException {
        if (owner.get("samples") == null) {
            throw new MalformedReportException(where + " has no 'samples'");
        }
        return durations(owner, "samples", where);
    }

    /** The durations in array {@code field} of {@code owner} (objects with durationMs, or numbers); empty when absent. */
    private static List<Double> durations(JsonNode owner, String field, String where) throws MalformedReportException {
        JsonNode samples = owner.get(field);
        if (samples == null || samples.isNull()) {
            return List.of();
        }
        requireArray(samples, where + "." + field);
        List<Double> out = new ArrayList<>(samples.size());
        for (int i = 0; i < samples.size(); i++) {
            String at = where + "." + field + "[" + i + "]";
            JsonNode sample = samples.get(i);
            // The original specification allows a bare number too; the contract writes objects with durationMs.
            JsonNode d = sample.isObject() ? sample.get("durationMs") : sample;
            if (d == null || !d.isNumber()) {
                throw new MalformedReportException(at + ".durationMs is " + (d == null ? "missing" : "not a number: " + d));
            }
            double v = d.asDouble();
            if (!(v >= 0) || Double.isInfinite(v)) {
                throw new MalformedReportException(at + ".durationMs " + d + " is not a duration (must be >= 0)");
            }
            out.add(v);
        }
        return out;
    }

    private static String text(JsonNode owner, String field, String where, boolean required) throws MalformedReportException {
        JsonNode v = owner.get(field);
        if (v == null || v.isNull()) {
            if (required) {
                throw new MalformedReportException(where + " has no '" + field + "'");
            }
            return null;
        }
        if (!v.isTextual() || v.asText().isBlank()) {
            throw new MalformedReportException(where + "." + field + " is not a non-empty string: " + v);
        }
        return v.asText();
    }

    private static long count(JsonNode owner, String field, String where) throws MalformedReportException {
        JsonNode v = owner.get(field);
        if (v == null) {
            return 0;
        }
        if (!v.canConvertToLong() || !v.isIntegralNumber() || v.asLong() < 0) {
            throw new MalformedReportException(where + "." + field + " is not a count: " + v);
        }
        return v.asLong();
    }

    private static Double optionalNumber(JsonNode owner, String field, String where) throws MalformedReportException {
        JsonNode v = owner.get(field);
        if (v == null || v.isNull()) {
            return null;
        }
        if (!v.isNumber()) {
            throw new MalformedReportException(where + "." + field + " is not a number: " + v);
        }
        return v.asDouble();
    }

    private static void requireArray(JsonNode node, String where) throws MalformedReportException {
        if (!node.isArray()) {
            throw new MalformedReportException(where + " is not an array");
        }
    }

    private static JsonNode requireObject(JsonNode node, String where) throws MalformedReportException {
        if (node == null || !node.isObject()) {
            throw new MalformedReportException(where + " is not an object");
        }
        return node;
    }
}
