package dev.devs.sandbox;

import java.time.Duration;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.regex.Pattern;
import org.jspecify.annotations.Nullable;

/**
 * The checks of {@link SandboxSpec}'s values, one method per field: each returns the value as the spec keeps it
 * (defaulted, copied, unmodifiable) or throws {@link IllegalArgumentException} naming the field, the value and what
 * would be valid. Driver-independent only: what a driver cannot honour it rejects in its own validation.
 */
final class SpecValidation {

    private static final Pattern RUNTIME_NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9_.-]*");

    private SpecValidation() {
    }

    static @Nullable String image(@Nullable String image) {
        if (image != null && (image.isBlank() || containsWhitespace(image))) {
            throw new IllegalArgumentException("image '" + image
                    + "' is not a valid image reference: it must be non-blank and contain no whitespace, e.g. 'debian:bookworm' or 'localhost:5000/app:1'");
        }
        return image;
    }

    static Map<String, String> env(Map<String, String> env) {
        Map<String, String> copy = copyOf("env", env);
        for (String key : copy.keySet()) {
            if (key.isEmpty() || key.indexOf('=') >= 0 || containsWhitespace(key)) {
                throw new IllegalArgumentException("env key '" + key
                        + "' is not a valid variable name: it must be non-empty and contain neither '=' nor whitespace");
            }
        }
        return copy;
    }

    static double cpus(double cpus) {
        if (!(cpus >= 0) || Double.isInfinite(cpus) || cpus > 1024) {
            throw new IllegalArgumentException("cpus " + cpus + " is out of range: use 0 for no limit or a value in (0, 1024]");
        }
        return cpus;
    }

    static long memoryBytes(long memoryBytes) {
        if (memoryBytes < 0 || (memoryBytes > 0 && memoryBytes < SandboxSpec.MIN_MEMORY_BYTES)) {
            throw new IllegalArgumentException("memoryBytes " + memoryBytes
                    + " is out of range: use 0 for no limit or at least " + SandboxSpec.MIN_MEMORY_BYTES + " (6 MiB)");
        }
        return memoryBytes;
    }

    static long pidsLimit(long pidsLimit) {
        if (pidsLimit < 0) {
            throw new IllegalArgumentException("pidsLimit " + pidsLimit + " is negative: use 0 for no limit or a positive count");
        }
        return pidsLimit;
    }

    static String network(String network) {
        Objects.requireNonNull(network, "network");
        if (network.isBlank() || containsWhitespace(network)) {
            throw new IllegalArgumentException("network '" + network + "' is not valid: use none, bridge, host or a network name");
        }
        return network;
    }

    static String user(@Nullable String user) {
        String u = user == null ? "" : user;
        if (containsWhitespace(u)) {
            throw new IllegalArgumentException("user '" + u + "' is not valid: use uid[:gid], a user name, or empty for the image's default");
        }
        return u;
    }

    static List<String> scratchVolumes(List<String> scratchVolumes, String workDir) {
        List<String> copy = copyOf("scratchVolumes", scratchVolumes);
        for (String path : copy) {
            absolutePath("scratchVolumes", path);
            if (path.equals(workDir)) {
                throw new IllegalArgumentException("scratchVolumes path '" + path + "' is the workDir, which is already a tmpfs: choose another path");
            }
        }
        if (copy.stream().distinct().count() != copy.size()) {
            throw new IllegalArgumentException("scratchVolumes " + copy + " names a path twice: each path can hold one volume");
        }
        return copy;
    }

    static Duration stopGracePeriod(Duration stopGracePeriod) {
        Objects.requireNonNull(stopGracePeriod, "stopGracePeriod");
        if (stopGracePeriod.isNegative() || stopGracePeriod.compareTo(Duration.ofMinutes(5)) > 0) {
            throw new IllegalArgumentException("stopGracePeriod " + stopGracePeriod + " is out of range: use 0 (kill at once) to PT5M");
        }
        return stopGracePeriod;
    }

    static Map<String, String> labels(Map<String, String> labels) {
        Map<String, String> copy = copyOf("labels", labels);
        for (String key : copy.keySet()) {
            if (key.startsWith(ResourceLabels.PREFIX)) {
                throw new IllegalArgumentException("label '" + key + "' uses the reserved prefix '" + ResourceLabels.PREFIX
                        + "': the library sets those itself; choose another key");
            }
        }
        return copy;
    }

    static String runtime(@Nullable String runtime) {
        String r = runtime == null ? "" : runtime;
        if (!r.isEmpty() && !RUNTIME_NAME.matcher(r).matches()) {
            throw new IllegalArgumentException("runtime '" + r + "' is not a valid runtime name: use empty for the"
                    + " driver's default, or a name of letters, digits, '.', '_' and '-' such as runc or runsc");
        }
        return r;
    }

    static Duration maxLifetime(@Nullable Duration maxLifetime, Duration defaultLifetime, Duration largest) {
        Duration d = maxLifetime == null ? defaultLifetime : maxLifetime;
        if (d.compareTo(Duration.ofSeconds(1)) < 0 || d.compareTo(largest) > 0) {
            throw new IllegalArgumentException("maxLifetime " + d + " is out of range: use PT1S to " + largest
                    + " (default " + defaultLifetime + ")");
        }
        return d;
    }

    static Duration minimumRunningTime(@Nullable Duration minimumRunningTime, Duration startupTimeout) {
        Duration d = minimumRunningTime == null ? Duration.ZERO : minimumRunningTime;
        if (d.isNegative() || d.compareTo(startupTimeout) >= 0) {
            throw new IllegalArgumentException("minimumRunningTime " + d + " is out of range: use PT0S (none)"
                    + " up to less than startupTimeout " + startupTimeout + ", within which the start waits for it");
        }
        return d;
    }

    static List<Integer> ports(List<Integer> ports) {
        List<Integer> copy = List.copyOf(ports);
        for (Integer port : copy) {
            if (port < 1 || port > 65535) {
                throw new IllegalArgumentException("port " + port + " is not a TCP port: use 1..65535");
            }
        }
        if (copy.stream().distinct().count() != copy.size()) {
            throw new IllegalArgumentException("ports " + copy + " names a port twice: declare each once");
        }
        return copy;
    }

    static String absolutePath(String field, String path) {
        if (path == null || !path.startsWith("/") || path.contains("..") || containsWhitespace(path)) {
            throw new IllegalArgumentException(field + " '" + path
                    + "' is not an absolute path: it must start with '/' and contain neither '..' nor whitespace");
        }
        return path;
    }

    static Duration notNegative(String field, Duration d) {
        Objects.requireNonNull(d, field);
        if (d.isNegative()) {
            throw new IllegalArgumentException(field + " " + d + " is negative: use zero or a positive duration");
        }
        return d;
    }

    static Duration positive(String field, Duration d) {
        Objects.requireNonNull(d, field);
        if (d.isZero() || d.isNegative()) {
            throw new IllegalArgumentException(field + " " + d + " must be positive");
        }
        return d;
    }

    static List<String> copyOf(String field, List<String> list) {
        if (list == null) {
            return List.of();
        }
        for (int i = 0; i < list.size(); i++) {
            if (list.get(i) == null) {
                throw new IllegalArgumentException(field + " element " + i + " is null");
            }
        }
        return List.copyOf(list);
    }

    static Map<String, String> copyOf(String field, Map<String, String> map) {
        if (map == null) {
            return Map.of();
        }
        // Keeps insertion order (Map.copyOf would not) so that specs print and compare predictably.
        LinkedHashMap<String, String> copy = new LinkedHashMap<>();
        map.forEach((k, v) -> {
            if (k == null || v == null) {
                throw new IllegalArgumentException(field + " entry " + k + "=" + v + " has a null key or value");
            }
            copy.put(k, v);
        });
        return Collections.unmodifiableMap(copy);
    }

    private static boolean containsWhitespace(String s) {
        return s.chars().anyMatch(Character::isWhitespace);
    }
}
