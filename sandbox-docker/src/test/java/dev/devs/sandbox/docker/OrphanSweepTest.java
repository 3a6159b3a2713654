package dev.devs.sandbox.docker;

import static dev.devs.sandbox.docker.DockerTestSupport.api;
import static dev.devs.sandbox.docker.DockerTestSupport.containersLabelled;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.devs.sandbox.ResourceLabels;
import dev.devs.sandbox.tck.Patience;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Two owner JVMs; one is killed with SIGKILL. A sweep (the one a new provider runs) removes what the dead one
 * left and nothing of the living one. What the owner watchdog cannot cover - a container created and never
 * started, because its owner died between the two calls - is made here by the test itself for each owner
 * (a stand-in for that moment, labelled as the driver labels), so the sweep has something to judge.
 */
@Timeout(120)
class OrphanSweepTest {

    private final String deadSession = "sweep-dead-" + UUID.randomUUID();
    private final String liveSession = "sweep-live-" + UUID.randomUUID();

    @AfterEach
    void removeLeftovers() {
        OwnerDeathTest.removeQuietly(deadSession);
        OwnerDeathTest.removeQuietly(liveSession);
    }

    @Test
    void theSweepRemovesTheDeadOwnersLeftoversAndNeverTheLivingOnes() throws Exception {
        try (ChildJvm dead = ChildJvm.start(OwnerChild.class, deadSession, "2", "0", "0");
             ChildJvm live = ChildJvm.start(OwnerChild.class, liveSession, "2", "0", "0")) {
            dead.awaitLine("HOLDING", Patience.seconds(60));
            live.awaitLine("HOLDING", Patience.seconds(60));
            String deadNeverStarted = createdNeverStarted(deadSession, ownerOf(dead));
            String liveNeverStarted = createdNeverStarted(liveSession, ownerOf(live));

            dead.kill9();
            await().atMost(Patience.seconds(30)).pollInterval(Duration.ofMillis(100))
                    .until(() -> containersLabelled(ResourceLabels.SESSION, deadSession).size() <= 1);
            assertThat(containersLabelled(ResourceLabels.SESSION, deadSession)).as("the never-started one stays until swept")
                    .extracting(c -> c.getId()).containsExactly(deadNeverStarted);

            try (DockerDriver driver = new DockerDriver()) {
                driver.removeOrphans();
            }

            assertThat(containersLabelled(ResourceLabels.SESSION, deadSession)).as("dead owner's leftovers").isEmpty();
            assertThat(DockerTestSupport.volumesLabelled(ResourceLabels.SESSION, deadSession)).isEmpty();
            assertThat(containersLabelled(ResourceLabels.SESSION, liveSession)).as("the living owner's: 2 running, 1 created")
                    .hasSize(3).extracting(c -> c.getId()).contains(liveNeverStarted);
            assertThat(containersLabelled(ResourceLabels.SESSION, liveSession).stream().filter(c -> "running".equals(c.getState())))
                    .hasSize(2);
        }
    }

    private static Owner ownerOf(ChildJvm child) {
        ProcessHandle p = child.process.toHandle();
        return new Owner(Owner.current().host(), p.pid(), p.info().startInstant().orElseThrow().toEpochMilli());
    }

    /** A container as the driver creates it (labels, AutoRemove, a scratch volume), never started. */
    private static String createdNeverStarted(String session, Owner owner) {
        String id = "sbx-" + UUID.randomUUID().toString().substring(0, 12);
        ContainerSpecMapper.Plan plan = ContainerSpecMapper.map(DockerTestSupport.sleeper().scratchVolume("/scratch").build(),
                id, session, owner, Instant.now());
        Map<String, String> labels = new LinkedHashMap<>(plan.labels());
        return plan.applyTo(api().createContainerCmd(DockerTestSupport.TINY_IMAGE), plan.spec().command()).withLabels(labels)
                .exec().getId();
    }
}
