package dev.devs.sandbox.docker;

import static org.assertj.core.api.Assertions.assertThat;

import com.github.dockerjava.api.exception.ConflictException;
import com.github.dockerjava.api.exception.DockerException;
import com.github.dockerjava.api.exception.NotFoundException;
import org.junit.jupiter.api.Test;

/**
 * How the driver reads an engine's error answers, from the bodies dockerd and Podman send (the Podman body is the
 * one its 4.3 service answered to a stop that raced its auto-removal of the exited container).
 */
class EngineErrorClassifierTest {

    @Test
    void aContainerTheEngineNoLongerKnowsIsGoneOnBothEngines() {
        assertThat(EngineErrorClassifier.isGone(new NotFoundException("Status 404: {\"message\":\"No such container: 59e26dc4\"}"))).isTrue();
        assertThat(EngineErrorClassifier.isGone(new DockerException("Status 500: {\"cause\":\"no such container\",\"message\":\"container"
                + " 59e26dc4 does not exist in database: no such container\",\"response\":500}", 500))).isTrue();
    }

    @Test
    void otherFailuresAreNotReadAsGone() {
        assertThat(EngineErrorClassifier.isGone(new DockerException("Status 500: {\"message\":\"driver failed programming external"
                + " connectivity\"}", 500))).isFalse();
        assertThat(EngineErrorClassifier.isGone(new ConflictException("Status 409: {\"message\":\"removal of container 59e26dc4 is already"
                + " in progress\"}"))).isFalse();
        assertThat(EngineErrorClassifier.isGone(new IllegalStateException("no such container"))).isFalse();
    }
}
