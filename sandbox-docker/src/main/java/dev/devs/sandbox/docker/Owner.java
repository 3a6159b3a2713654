package dev.devs.sandbox.docker;

import dev.devs.sandbox.ResourceLabels;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * Which process owns a sandbox, as labels on its container and volumes: the host (host name and PID
 * namespace, so that two containers with one host name but separate PID spaces differ), the process id, and
 * the process's start time. A process id alone is reused; with its start time it names one process for good.
 *
 * @param host          {@code <hostname>/<pid namespace>}
 * @param pid           the owner's process id in that namespace
 * @param startedMillis the owner's start time, epoch milliseconds, as {@link ProcessHandle.Info#startInstant()} gives it
 */
record Owner(String host, long pid, long startedMillis) {

    static final String LABEL_HOST = ResourceLabels.PREFIX + "owner-host";
    static final String LABEL_PID = ResourceLabels.PREFIX + "owner-pid";
    static final String LABEL_STARTED = ResourceLabels.PREFIX + "owner-started";
    /** Epoch seconds after which the sandbox has outlived its maximum lifetime, whoever owns it. */
    static final String LABEL_EXPIRES = ResourceLabels.PREFIX + "expires";

    private static final Owner CURRENT = new Owner(thisHost(), ProcessHandle.current().pid(),
            ProcessHandle.current().info().startInstant().map(Instant::toEpochMilli).orElse(0L));

    /** This JVM. */
    static Owner current() {
        return CURRENT;
    }

    Map<String, String> labels() {
        Map<String, String> l = new LinkedHashMap<>();
        l.put(LABEL_HOST, host);
        l.put(LABEL_PID, Long.toString(pid));
        l.put(LABEL_STARTED, Long.toString(startedMillis));
        return l;
    }

    /** The owner the labels name, or empty when they name none (or not legibly). */
    static Optional<Owner> fromLabels(Map<String, String> labels) {
        if (labels == null) {
            return Optional.empty();
        }
        try {
            String host = labels.get(LABEL_HOST);
            if (host == null || labels.get(LABEL_PID) == null || labels.get(LABEL_STARTED) == null) {
                return Optional.empty();
            }
            return Optional.of(new Owner(host, Long.parseLong(labels.get(LABEL_PID)), Long.parseLong(labels.get(LABEL_STARTED))));
        } catch (NumberFormatException e) {
            return Optional.empty();
        }
    }

    /**
     * True only when this owner is provably dead: it lived on this host (and PID namespace), and no process has
     * its id, or the one that has it started at another time. A process that exists but whose start time
     * cannot be read counts as alive: the living are never touched.
     */
    boolean provablyDead() {
        if (!host.equals(CURRENT.host) || startedMillis == 0) {
            return false;
        }
        Optional<ProcessHandle> p = ProcessHandle.of(pid);
        if (p.isEmpty() || !p.get().isAlive()) {
            return true;
        }
        Optional<Instant> started = p.get().info().startInstant();
        return started.isPresent() && started.get().toEpochMilli() != startedMillis;
    }

    private static String thisHost() {
        String name = read("/proc/sys/kernel/hostname");
        if (name == null) {
            name = System.getenv().getOrDefault("HOSTNAME", "unknown-host");
        }
        String pidNamespace = null;
        try {
            pidNamespace = Files.readSymbolicLink(Path.of("/proc/self/ns/pid")).toString();
        } catch (IOException | UnsupportedOperationException | SecurityException e) {
            // No /proc (not Linux): the host name alone, so the sweep judges only what this name made.
        }
        return pidNamespace == null ? name : name + "/" + pidNamespace;
    }

    private static String read(String file) {
        try {
            String s = Files.readString(Path.of(file)).strip();
            return s.isEmpty() ? null : s;
        } catch (IOException | SecurityException e) {
            return null;
        }
    }
}
