package dev.devs.sandbox.docker;

import com.github.dockerjava.api.exception.ConflictException;
import com.github.dockerjava.api.exception.NotFoundException;
import com.github.dockerjava.api.model.Container;
import dev.devs.sandbox.ResourceLabels;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.NotDirectoryException;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Removes what dead owners left on the engine: every container and volume labelled {@value ResourceLabels#MANAGED}
 * whose {@link Owner} is provably dead (same host and PID namespace, and its process is gone or is another
 * process now), or that is past its {@link Owner#LABEL_EXPIRES expiry} whoever owns it. A live owner's resources,
 * and those of owners on other hosts before their expiry, are never touched. Normally there is nothing to do:
 * the owner watchdog ends a sandbox when its owner dies. What it cannot cover is a container created but never
 * started (its owner died between the two calls) and anything left by a failed removal.
 *
 * <p>Snapshots too: a checkpoint's files in a snapshot directory of this JVM's drivers
 * ({@link ContainerCheckpoints#directories()}) whose owner file names a provably dead owner are removed, owner file
 * last (so that a sweep cut short is finished by the next). The engine's own copies of a checkpoint (under its folder
 * of a forked container) go with that container, which the engine or this sweep removes. A snapshot without owner file
 * was kept on purpose ({@code SandboxSnapshot.keep()}) and is never touched.
 */
final class OrphanSweeper {

    private static final Logger log = LoggerFactory.getLogger(OrphanSweeper.class);

    private final EngineCalls engine;

    OrphanSweeper(EngineCalls engine) {
        this.engine = engine;
    }

    /** @return how many containers, volumes and snapshots were removed */
    int sweep() throws InterruptedException {
        Instant now = Instant.now();
        int removed = 0;
        for (Path directory : ContainerCheckpoints.directories()) {
            removed += sweepSnapshots(directory);
        }
        List<Container> containers = engine.request(c -> c.listContainersCmd().withShowAll(true)
                .withLabelFilter(Map.of(ResourceLabels.MANAGED, "true")).exec());
        for (Container container : containers) {
            if (orphaned(container.getLabels(), now)) {
                try {
                    engine.request(c -> c.removeContainerCmd(container.getId()).withForce(true).withRemoveVolumes(true).exec());
                    removed++;
                    log.info("removed container {} of sandbox {}, left by a dead owner ({})", container.getId().substring(0, 12),
                            container.getLabels().get(ResourceLabels.SANDBOX_ID), ownerOf(container.getLabels()));
                } catch (NotFoundException | ConflictException gone) {
                    // Removed meanwhile (its auto-removal, or another sweep).
                }
            }
        }
        var volumes = engine.request(c -> c.listVolumesCmd().withFilter("label", List.of(ResourceLabels.MANAGED + "=true")).exec().getVolumes());
        if (volumes != null) {
            for (var volume : volumes) {
                if (orphaned(volume.getLabels(), now)) {
                    try {
                        engine.request(c -> c.removeVolumeCmd(volume.getName()).exec());
                        removed++;
                    } catch (NotFoundException | ConflictException goneOrInUse) {
                        // Removed meanwhile, or still mounted by a container that is going away.
                    }
                }
            }
        }
        return removed;
    }

    /** Removes the snapshots in {@code directory} whose owner is provably dead; returns how many. */
    static int sweepSnapshots(Path directory) {
        List<Path> ownerFiles;
        try (Stream<Path> entries = Files.list(directory)) {
            ownerFiles = entries.filter(f -> f.getFileName().toString().endsWith(ContainerCheckpoints.OWNER_SUFFIX)).toList();
        } catch (NoSuchFileException | NotDirectoryException none) {
            return 0;
        } catch (IOException e) {
            log.warn("the snapshot directory {} cannot be listed, so dead owners' snapshots there stay: {}", directory, e.toString());
            return 0;
        }
        int removed = 0;
        for (Path ownerFile : ownerFiles) {
            String file = ownerFile.getFileName().toString();
            String name = file.substring(0, file.length() - ContainerCheckpoints.OWNER_SUFFIX.length());
            if (!ContainerCheckpoints.NAME.matcher(name).matches()) {
                continue; // not ours
            }
            Optional<Owner> owner;
            try {
                owner = ContainerCheckpoints.readOwner(ownerFile);
            } catch (NoSuchFileException gone) {
                continue; // removed or kept meanwhile
            } catch (IOException e) {
                log.warn("the owner file {} cannot be read, so its snapshot stays: {}", ownerFile, e.toString());
                continue;
            }
            if (owner.isPresent() && owner.get().provablyDead()) {
                try {
                    new ContainerCheckpoints.StoredCheckpoint(directory.resolve(name), name, 0).remove();
                    removed++;
                    log.info("removed snapshot {} at {}, left by a dead owner (pid {} on {})", name, directory,
                            owner.get().pid(), owner.get().host());
                } catch (RuntimeException e) {
                    log.warn("removing snapshot {} at {}, left by a dead owner, failed; the next sweep tries again", name, directory, e);
                }
            }
        }
        return removed;
    }

    /** Dead owner on this host, or past expiry. A resource without owner labels is judged by expiry alone. */
    static boolean orphaned(Map<String, String> labels, Instant now) {
        if (labels == null) {
            return false;
        }
        if (Owner.fromLabels(labels).map(Owner::provablyDead).orElse(false)) {
            return true;
        }
        String expires = labels.get(Owner.LABEL_EXPIRES);
        try {
            return expires != null && Long.parseLong(expires) < now.getEpochSecond();
        } catch (NumberFormatException e) {
            return false;
        }
    }

    private static String ownerOf(Map<String, String> labels) {
        return Owner.fromLabels(labels).map(o -> "pid " + o.pid() + " on " + o.host()).orElse("expired");
    }
}
