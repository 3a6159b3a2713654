package dev.devs.sandbox;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.UnaryOperator;

/**
 * Where and with what environment a sandbox's commands and relative paths run: a pooled claim's extra env and
 * working directory ({@link PoolClaim}), or none. Also the one form every driver gets a path in: absolute, no
 * {@code .}, no doubled or trailing {@code /}, and {@code ..} refused.
 *
 * @param env        extra environment for every command, under a command's own (empty for none)
 * @param workingDir working directory for every command, relative to the sandbox's default, or null for that default
 */
record ExecScope(Map<String, String> env, String workingDir) {

    /** A sandbox not handed out by a pool: its own env and working directory. */
    static final ExecScope NONE = new ExecScope(Map.of(), null);

    static ExecScope of(PoolClaim claim) {
        return new ExecScope(claim.env(), claim.workingDir().orElse(null));
    }

    /**
     * {@code path} made absolute against this scope's working directory, itself against {@code root} (the driver's
     * working directory, or the spec's). The caller has checked it with {@link #requireValid(String)}.
     */
    String resolve(String path, String root) {
        String base = workingDir == null ? root : workingDir.startsWith("/") ? workingDir : root + "/" + workingDir;
        String abs = path.startsWith("/") ? path : base + "/" + path;
        // One form for every driver: no '.', no doubled or trailing '/'.
        StringBuilder sb = new StringBuilder();
        for (String part : abs.split("/")) {
            if (!part.isEmpty() && !part.equals(".")) {
                sb.append('/').append(part);
            }
        }
        return sb.length() == 0 ? "/" : sb.toString();
    }

    /** @throws IllegalArgumentException if the path is empty, holds a NUL or climbs with {@code ..} */
    static void requireValid(String path) {
        if (path.isEmpty() || path.indexOf('\0') >= 0 || List.of(path.split("/")).contains("..")) {
            throw new IllegalArgumentException("path '" + path.replace("\0", "\\0") + "' is not valid: give a path"
                    + " (absolute, or relative to the working directory) without '..' segments");
        }
    }

    /** {@code spec} with this scope's env under its own and its working directory made absolute by {@code resolve}. */
    ExecSpec apply(ExecSpec spec, UnaryOperator<String> resolve) {
        Map<String, String> merged = new LinkedHashMap<>(env);
        merged.putAll(spec.env());
        String dir = spec.workingDir() != null ? resolve.apply(spec.workingDir())
                : workingDir != null ? resolve.apply(workingDir) : null;
        return spec.toBuilder().env(merged).workingDir(dir).build();
    }
}
