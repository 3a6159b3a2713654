package dev.devs.sandbox.docker;

import com.github.dockerjava.api.exception.ConflictException;
import com.github.dockerjava.api.exception.NotFoundException;
import com.github.dockerjava.api.model.Container;
import dev.devs.sandbox.ResourceLabels;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Removes what dead owners left on the engine: every container and volume labelled {@value ResourceLabels#MANAGED}
 * whose {@link Owner} is provably dead (same host and PID namespace, and its process is gone or is another
 * process now), or that is past its {@link Owner#LABEL_EXPIRES expiry} whoever owns it. A live owner's resources,
 * and those of owners on other hosts before their expiry, are never touched. Normally there is nothing to do:
 * the owner watchdog ends a sandbox when its owner dies. What it cannot cover is a container created but never
 * started (its owner died between the two calls) and anything left by a failed removal.
 */
final class OrphanSweeper {

    private static final Logger log = LoggerFactory.getLogger(OrphanSweeper.class);

    private final EngineCalls engine;

    OrphanSweeper(EngineCalls engine) {
        this.engine = engine;
    }

    /** @return how many containers and volumes were removed */
    int sweep() throws InterruptedException {
        Instant now = Instant.now();
        int removed = 0;
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
