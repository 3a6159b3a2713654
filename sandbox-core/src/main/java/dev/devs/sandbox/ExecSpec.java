package dev.devs.sandbox;

import java.io.InputStream;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * One command to run in a sandbox, as {@link ProcessBuilder} describes one on the host: the command, extra
 * environment, working directory, what goes to its stdin, whether stderr joins stdout, and how long it may run.
 * Immutable; made by its {@link #builder(String...) builder}, which validates.
 *
 * <pre>{@code
 * ExecSpec spec = ExecSpec.builder("python3", "-c", "print(input())")
 *         .stdin("hello\n".getBytes(UTF_8))
 *         .timeout(Duration.ofSeconds(10))
 *         .build();
 * }</pre>
 */
public final class ExecSpec {

    private final List<String> command;
    private final Map<String, String> env;
    private final @Nullable String workingDir;
    private final byte @Nullable [] stdinBytes;
    private final @Nullable InputStream stdinStream;
    private final boolean redirectErrorStream;
    private final @Nullable Duration timeout;

    private ExecSpec(Builder b) {
        this.command = List.copyOf(b.command);
        this.env = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(b.env));
        this.workingDir = b.workingDir;
        this.stdinBytes = b.stdinBytes;
        this.stdinStream = b.stdinStream;
        this.redirectErrorStream = b.redirectErrorStream;
        this.timeout = b.timeout;
    }

    /** A builder for {@code command} (program and arguments). */
    public static Builder builder(String... command) {
        return new Builder(List.of(command));
    }

    /** A builder for {@code command} (program and arguments). */
    public static Builder builder(List<String> command) {
        return new Builder(command);
    }

    /** The program and its arguments; never empty. */
    public List<String> command() { return command; }

    /** Environment variables added to the sandbox's own for this command. */
    public Map<String, String> env() { return env; }

    /** The working directory (absolute, or relative to the sandbox's), or null for the sandbox's default. */
    public @Nullable String workingDir() { return workingDir; }

    /** Bytes fed to stdin, which is then closed; null when none were given. */
    public byte @Nullable [] stdinBytes() { return stdinBytes == null ? null : stdinBytes.clone(); }

    /** A stream copied to stdin until its end, then stdin is closed; null when none was given. Read once. */
    public @Nullable InputStream stdinStream() { return stdinStream; }

    /** Whether stdin is given (as bytes or as a stream). */
    public boolean hasStdin() { return stdinBytes != null || stdinStream != null; }

    /** Whether stderr is merged into stdout, as {@link ProcessBuilder#redirectErrorStream(boolean)}. */
    public boolean redirectErrorStream() { return redirectErrorStream; }

    /**
     * The longest the command may run: then it is killed with its children. For {@link Sandbox#exec} it defaults to
     * {@link Sandbox#DEFAULT_EXEC_TIMEOUT}; for {@link Sandbox#start} null means it may run as long as its sandbox.
     */
    public @Nullable Duration timeout() { return timeout; }

    /** A builder starting from this spec's values. */
    public Builder toBuilder() {
        Builder b = new Builder(command);
        b.env.putAll(env);
        b.workingDir = workingDir;
        b.stdinBytes = stdinBytes;
        b.stdinStream = stdinStream;
        b.redirectErrorStream = redirectErrorStream;
        b.timeout = timeout;
        return b;
    }

    @Override
    public String toString() {
        return "ExecSpec" + command;
    }

    /** Mutable builder for {@link ExecSpec}; {@link #build()} validates. Not thread-safe. */
    public static final class Builder {
        private final List<String> command;
        private final Map<String, String> env = new LinkedHashMap<>();
        private @Nullable String workingDir;
        private byte @Nullable [] stdinBytes;
        private @Nullable InputStream stdinStream;
        private boolean redirectErrorStream;
        private @Nullable Duration timeout;

        private Builder(List<String> command) {
            Objects.requireNonNull(command, "command");
            this.command = new ArrayList<>(command);
        }

        /** Adds an environment variable for this command. */
        public Builder env(String key, String value) { env.put(key, value); return this; }

        /** Adds environment variables for this command. */
        public Builder env(Map<String, String> vars) { env.putAll(vars); return this; }

        /** The working directory: absolute, or relative to the sandbox's working directory. */
        public Builder workingDir(@Nullable String dir) { this.workingDir = dir; return this; }

        /** Bytes for stdin; stdin is closed after them. Replaces a stream given before. */
        public Builder stdin(byte[] bytes) { this.stdinBytes = bytes.clone(); this.stdinStream = null; return this; }

        /** A stream for stdin, copied until its end, then stdin is closed. Replaces bytes given before. */
        public Builder stdin(InputStream stream) { this.stdinStream = Objects.requireNonNull(stream, "stdin"); this.stdinBytes = null; return this; }

        /** Merges stderr into stdout (in the order the sandbox wrote them, as far as the driver can tell). */
        public Builder redirectErrorStream(boolean merge) { this.redirectErrorStream = merge; return this; }

        /** The longest the command may run; see {@link ExecSpec#timeout()}. */
        public Builder timeout(@Nullable Duration timeout) { this.timeout = timeout; return this; }

        /** @throws IllegalArgumentException naming the bad value: an empty command, a null argument, a timeout not positive, a bad env key */
        public ExecSpec build() {
            requireCommand(command);
            for (int i = 0; i < command.size(); i++) {
                if (command.get(i) == null) {
                    throw new IllegalArgumentException("command element " + i + " is null in " + command);
                }
            }
            if (timeout != null) {
                requireTimeout(timeout, command);
            }
            env.forEach((k, v) -> {
                if (k == null || v == null || k.isEmpty() || k.indexOf('=') >= 0) {
                    throw new IllegalArgumentException("env entry " + k + "=" + v + " is not valid: the key must be non-empty"
                            + " without '=', the value non-null");
                }
            });
            if (workingDir != null && (workingDir.isEmpty() || workingDir.contains(".."))) {
                throw new IllegalArgumentException("workingDir '" + workingDir + "' is not valid: give an absolute path or"
                        + " one relative to the sandbox's working directory, without '..'");
            }
            return new ExecSpec(this);
        }
    }

    /** @throws IllegalArgumentException if {@code command} is empty */
    static void requireCommand(List<String> command) {
        if (command.isEmpty()) {
            throw new IllegalArgumentException("command is empty: give the program to run and its arguments");
        }
    }

    /** @throws IllegalArgumentException if {@code timeout} for {@code command} is not positive */
    static void requireTimeout(Duration timeout, List<String> command) {
        if (timeout.isZero() || timeout.isNegative()) {
            throw new IllegalArgumentException("timeout " + timeout + " for " + command + " is not positive: give the"
                    + " longest the command may run, e.g. Duration.ofSeconds(30)");
        }
    }
}
