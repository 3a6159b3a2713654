package dev.devs.sandbox.docker;

import com.github.dockerjava.api.model.Container;
import dev.devs.sandbox.ResourceLabels;
import dev.devs.sandbox.SandboxProvider;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * Fails the test class after which a container or volume of this JVM's session still exists, and removes
 * what it found so that one leak does not cascade into every later class.
 *
 * <p>Put on each test class that creates Docker resources with {@code @ExtendWith(SessionLeakCheck.class)}.
 * It runs after the class's own {@code @AfterAll} methods, so a class is judged after its own cleanup. It
 * looks only at this JVM's session label: other test JVMs share the engine.
 */
public final class SessionLeakCheck implements AfterAllCallback {

    @Override
    public void afterAll(ExtensionContext context) {
        check(context.getDisplayName());
    }

    /**
     * @throws AssertionError naming {@code culprit} and every container and volume of this JVM's session
     *                        (after removing them)
     */
    static void check(String culprit) {
        List<String> leaks = leaksOf(SandboxProvider.JVM_SESSION_ID);
        if (!leaks.isEmpty()) {
            removeSession(SandboxProvider.JVM_SESSION_ID);
            throw new AssertionError(culprit + " left Docker resources of session "
                    + SandboxProvider.JVM_SESSION_ID + " behind (now removed): " + leaks);
        }
    }

    /** Containers and volumes labelled with {@code session}, described as "container name (id)" / "volume name". */
    static List<String> leaksOf(String session) {
        List<String> leaks = new ArrayList<>();
        for (Container c : DockerTestSupport.containersLabelled(ResourceLabels.SESSION, session)) {
            leaks.add("container " + String.join(",", c.getNames()) + " (" + c.getId().substring(0, 12) + ", " + c.getState() + ")");
        }
        DockerTestSupport.volumesLabelled(ResourceLabels.SESSION, session).forEach(v -> leaks.add("volume " + v.getName()));
        return leaks;
    }

    static void removeSession(String session) {
        for (Container c : DockerTestSupport.containersLabelled(ResourceLabels.SESSION, session)) {
            DockerTestSupport.api().removeContainerCmd(c.getId()).withForce(true).withRemoveVolumes(true).exec();
        }
        DockerTestSupport.volumesLabelled(ResourceLabels.SESSION, session)
                .forEach(v -> DockerTestSupport.api().removeVolumeCmd(v.getName()).exec());
    }
}
