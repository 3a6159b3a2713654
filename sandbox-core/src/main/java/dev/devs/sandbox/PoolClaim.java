package dev.devs.sandbox;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * What one claim of a {@link SandboxPool} changes in the sandbox it gets, applied at hand-out so that the
 * claim stays a pooled (millisecond) start: extra environment variables seen by every
 * {@link Sandbox#exec exec} of that claim, files written before the hand-out, and the working directory of
 * its execs. Immutable; build it with {@link #builder()}.
 */
public final class PoolClaim {

    /** A claim that changes nothing. */
    public static final PoolClaim NONE = builder().build();

    private final Map<String, String> env;
    private final Map<String, byte[]> files;
    private final String workingDir;

    private PoolClaim(Builder b) {
        this.env = Collections.unmodifiableMap(new LinkedHashMap<>(b.env));
        Map<String, byte[]> copy = new LinkedHashMap<>();
        b.files.forEach((k, v) -> copy.put(k, v.clone()));
        this.files = Collections.unmodifiableMap(copy);
        this.workingDir = b.workingDir;
    }

    /** A builder of a claim that changes nothing yet. */
    public static Builder builder() {
        return new Builder();
    }

    /** Extra environment variables for every exec of the claim. */
    public Map<String, String> env() {
        return env;
    }

    /** Files to write at hand-out: path (absolute, or relative to the working directory) to contents. */
    public Map<String, byte[]> files() {
        return files;
    }

    /** The working directory of the claim's execs; empty for the sandbox's default. */
    public Optional<String> workingDir() {
        return Optional.ofNullable(workingDir);
    }

    /** Whether this claim changes nothing. */
    public boolean isEmpty() {
        return env.isEmpty() && files.isEmpty() && workingDir == null;
    }

    /** Checks a file path: absolute or relative, without {@code ..} segments or a trailing '/'. */
    static void requireCleanPath(String path) {
        requireCleanPath("file path", path);
    }

    private static void requireCleanPath(String what, String path) {
        if (path.isEmpty() || path.endsWith("/") || path.indexOf('\0') >= 0 || List.of(path.split("/")).contains("..")) {
            throw new IllegalArgumentException(what + " '" + path.replace("\0", "\\0") + "' is not valid: give a file path"
                    + " (absolute, or relative to the working directory) without '..' segments or a trailing '/'");
        }
    }

    @Override
    public String toString() {
        return "PoolClaim[env=" + env.keySet() + ", files=" + files.keySet() + ", workingDir=" + workingDir + "]";
    }

    /** Builder for {@link PoolClaim}; every value is checked when it is set. */
    public static final class Builder {
        private final Map<String, String> env = new LinkedHashMap<>();
        private final Map<String, byte[]> files = new LinkedHashMap<>();
        private String workingDir;

        private Builder() {
        }

        /** Adds an environment variable for every exec of the claim. */
        public Builder env(String key, String value) {
            Objects.requireNonNull(key, "env key");
            Objects.requireNonNull(value, "env value of " + key);
            if (key.isEmpty() || key.indexOf('=') >= 0 || key.chars().anyMatch(Character::isWhitespace) || key.indexOf('\0') >= 0
                    || value.indexOf('\0') >= 0) {
                throw new IllegalArgumentException("env key '" + key.replace("\0", "\\0") + "' is not a valid variable name (or"
                        + " its value holds a NUL byte): a name must be non-empty and contain neither '=' nor whitespace");
            }
            env.put(key, value);
            return this;
        }

        /** Adds every entry of {@code vars}. */
        public Builder env(Map<String, String> vars) {
            vars.forEach(this::env);
            return this;
        }

        /** Writes {@code content} to {@code path} (absolute, or relative to the working directory) at hand-out. */
        public Builder file(String path, byte[] content) {
            Objects.requireNonNull(path, "file path");
            Objects.requireNonNull(content, "content of " + path);
            requireCleanPath("file path", path);
            files.put(path, content.clone());
            return this;
        }

        /** Writes {@code content} as UTF-8. */
        public Builder file(String path, String content) {
            return file(path, content.getBytes(java.nio.charset.StandardCharsets.UTF_8));
        }

        /**
         * The working directory of the claim's execs, absolute or relative to the sandbox's default one (the spec's
         * {@code workDir} for Docker, the WebContainer's own); it must exist or be made by a file of the claim.
         */
        public Builder workingDir(String dir) {
            Objects.requireNonNull(dir, "workingDir");
            requireCleanPath("workingDir", dir.equals("/") ? "/." : dir);
            this.workingDir = dir;
            return this;
        }

        public PoolClaim build() {
            return new PoolClaim(this);
        }
    }
}
