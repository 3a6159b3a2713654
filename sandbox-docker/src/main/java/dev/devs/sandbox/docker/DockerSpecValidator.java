package dev.devs.sandbox.docker;

import dev.devs.sandbox.SandboxSpec;
import java.util.List;
import java.util.regex.Pattern;

/**
 * What a {@link SandboxSpec} must satisfy beyond core's own checks for the Docker engine to honour it.
 * Checked before any engine call so that a bad spec costs no round trip and leaves nothing behind.
 */
final class DockerSpecValidator {

    private static final Pattern NETWORK_NAME = Pattern.compile("[a-zA-Z0-9][a-zA-Z0-9_.-]*");
    private static final Pattern CONTAINER_REF = Pattern.compile("container:[a-zA-Z0-9][a-zA-Z0-9_.-]*");
    private static final Pattern USER = Pattern.compile("[A-Za-z0-9_][A-Za-z0-9_.-]*(?::[A-Za-z0-9_][A-Za-z0-9_.-]*)?");
    /** Kernel file systems the runtime mounts itself; a tmpfs or volume on them is refused or breaks the container. */
    private static final List<String> RESERVED_PATHS = List.of("/proc", "/sys", "/dev");
    /** The engine's lower bound for NanoCPUs (0.01 CPU). */
    static final double MIN_CPUS = 0.01;

    private DockerSpecValidator() {
    }

    /** @throws IllegalArgumentException naming the field, the value and what would be valid */
    static void validate(SandboxSpec spec) {
        if (spec.image() == null) {
            throw new IllegalArgumentException("driver 'docker' needs an image, but the spec has none: build it with"
                    + " SandboxSpec.builder(\"<image>\"), e.g. SandboxSpec.builder(\"busybox:1.36\")");
        }
        ImageReference.parse(spec.image());
        String network = spec.network();
        if (!(NETWORK_NAME.matcher(network).matches() || CONTAINER_REF.matcher(network).matches())) {
            throw new IllegalArgumentException("network '" + network + "' is not valid for driver 'docker':"
                    + " use none, bridge, host, container:<name> or the name of a network created with 'docker network create'");
        }
        if (!spec.user().isEmpty() && !USER.matcher(spec.user()).matches()) {
            throw new IllegalArgumentException("user '" + spec.user() + "' is not valid for driver 'docker':"
                    + " use uid, uid:gid, name or name:group (e.g. 65534:65534), or empty for the image's default");
        }
        if (spec.cpus() > 0 && spec.cpus() < MIN_CPUS) {
            throw new IllegalArgumentException("cpus " + spec.cpus() + " is below the Docker engine's minimum of "
                    + MIN_CPUS + ": use 0 for no limit or at least " + MIN_CPUS);
        }
        requireMountable("workDir", spec.workDir());
        for (String path : spec.scratchVolumes()) {
            requireMountable("scratchVolumes", path);
        }
        requireProgram("command", spec.command());
        requireProgram("readinessProbe", spec.readinessProbe());
        spec.env().forEach((k, v) -> {
            if (v.indexOf('\0') >= 0 || k.indexOf('\0') >= 0) {
                throw new IllegalArgumentException("env " + k + " contains a NUL character, which a process environment cannot hold");
            }
        });
    }

    private static void requireMountable(String field, String path) {
        String p = path.endsWith("/") && path.length() > 1 ? path.substring(0, path.length() - 1) : path;
        if (p.equals("/")) {
            throw new IllegalArgumentException(field + " '" + path
                    + "' is the root directory, which cannot be replaced by a mount: choose a directory such as /workspace");
        }
        for (String reserved : RESERVED_PATHS) {
            if (p.equals(reserved) || p.startsWith(reserved + "/")) {
                throw new IllegalArgumentException(field + " '" + path + "' lies in " + reserved
                        + ", which the container runtime mounts itself: choose a directory outside /proc, /sys and /dev");
            }
        }
    }

    private static void requireProgram(String field, List<String> command) {
        if (!command.isEmpty() && command.get(0).isBlank()) {
            throw new IllegalArgumentException(field + " " + command
                    + " starts with a blank program name: give the program to run first, e.g. [\"sh\", \"-c\", \"...\"]");
        }
    }
}
