package dev.devs.sandbox.docker;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * Maps a host process of a container to its PID inside the container, with its descendants.
 *
 * <p>The engine's API cannot kill an exec. To end a timed-out one, the driver finds the exec's
 * process tree (the engine reports the exec's host PID) and kills it from inside the container, which
 * works for any JVM user and with every capability dropped, because the killer runs as the same user.
 * This needs the engine on this machine (so its host PIDs are ours to read in {@code /proc}); the
 * cgroup check makes sure a PID is really this container's before anything is killed. Elsewhere it
 * finds nothing and the process lives until the sandbox stops.
 */
final class ContainerProcesses {

    private static final Path PROC = Path.of("/proc");

    private ContainerProcesses() {
    }

    /**
     * The in-container PIDs of {@code hostPid} and all its descendants, deepest last; empty when the PID
     * is not visible here or does not belong to {@code containerId}.
     */
    static List<Long> namespacePidsOfTree(long hostPid, String containerId) {
        if (hostPid <= 0 || !belongsTo(hostPid, containerId)) {
            return List.of();
        }
        Map<Long, List<Long>> children = childrenByParent();
        List<Long> tree = new ArrayList<>();
        List<Long> queue = new ArrayList<>(List.of(hostPid));
        while (!queue.isEmpty()) {
            long pid = queue.remove(0);
            tree.add(pid);
            queue.addAll(children.getOrDefault(pid, List.of()));
        }
        List<Long> nsPids = new ArrayList<>();
        for (long pid : tree) {
            long ns = namespacePid(pid);
            if (ns > 1) { // never PID 1: the container's init ends the container, which is stop()'s job
                nsPids.add(ns);
            }
        }
        return nsPids;
    }

    private static boolean belongsTo(long pid, String containerId) {
        try {
            return Files.readString(PROC.resolve(Long.toString(pid)).resolve("cgroup")).contains(containerId);
        } catch (IOException | RuntimeException e) {
            return false;
        }
    }

    private static long namespacePid(long pid) {
        try {
            for (String line : Files.readAllLines(PROC.resolve(Long.toString(pid)).resolve("status"))) {
                if (line.startsWith("NSpid:")) {
                    String[] parts = line.substring(6).trim().split("\\s+");
                    return Long.parseLong(parts[parts.length - 1]);
                }
            }
        } catch (IOException | RuntimeException e) {
            // The process ended meanwhile, or this kernel does not report NSpid.
        }
        return -1;
    }

    private static Map<Long, List<Long>> childrenByParent() {
        Map<Long, List<Long>> children = new HashMap<>();
        try (Stream<Path> entries = Files.list(PROC)) {
            entries.map(p -> p.getFileName().toString())
                    .filter(name -> name.chars().allMatch(Character::isDigit))
                    .forEach(name -> {
                        long ppid = parentPid(name);
                        if (ppid > 0) {
                            children.computeIfAbsent(ppid, k -> new ArrayList<>()).add(Long.parseLong(name));
                        }
                    });
        } catch (IOException | RuntimeException e) {
            // No /proc here: an empty map means "only the root process".
        }
        return children;
    }

    private static long parentPid(String pid) {
        try {
            String stat = Files.readString(PROC.resolve(pid).resolve("stat"));
            // "pid (comm) state ppid ...": comm may contain spaces and parentheses, so parse after the last ')'.
            String[] rest = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
            return Long.parseLong(rest[1]);
        } catch (IOException | RuntimeException e) {
            return -1;
        }
    }
}
