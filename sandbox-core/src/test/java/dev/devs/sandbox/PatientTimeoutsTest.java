package dev.devs.sandbox;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.platform.engine.discovery.DiscoverySelectors.selectClass;

import dev.devs.sandbox.tck.Patience;
import dev.devs.sandbox.tck.PatientTimeouts;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.platform.engine.TestExecutionResult;
import org.junit.platform.testkit.engine.EngineTestKit;
import org.junit.platform.testkit.engine.Events;

/**
 * {@link PatientTimeouts} enforces {@code @Timeout}s with JUnit's own enforcement off, as the build runs it: a method
 * that outlives its timeout is interrupted and fails naming it, one that ends in time passes, and a class-level timeout
 * covers the methods that declare none. (The factor itself is {@code Patience}'s; here it is the build's, 1 by default.)
 */
class PatientTimeoutsTest {

    @Test
    void aMethodOutlivingItsTimeoutIsInterruptedAndFailsNamingIt() {
        Events tests = EngineTestKit.engine("junit-jupiter").selectors(selectClass(Timed.class))
                .configurationParameter("junit.jupiter.extensions.autodetection.enabled", "true")
                .configurationParameter("junit.jupiter.execution.timeout.mode", "disabled")
                .execute().testEvents();

        assertThat(tests.succeeded().list()).extracting(e -> e.getTestDescriptor().getDisplayName())
                .containsExactly("endsInTime()");
        assertThat(tests.failed().list()).extracting(e -> e.getTestDescriptor().getDisplayName())
                .containsExactlyInAnyOrder("outlivesItsOwnTimeout()", "outlivesTheClassTimeout()");
        assertThat(tests.failed().list()).allSatisfy(e -> {
            Throwable thrown = e.getPayload(TestExecutionResult.class).flatMap(TestExecutionResult::getThrowable).orElseThrow();
            assertThat(thrown).isInstanceOf(TimeoutException.class).hasMessageContaining("timed out after")
                    .hasMessageContaining("patience factor");
        });
    }

    /** Run only through the test kit above (Surefire skips nested classes). */
    @Timeout(value = 300, unit = TimeUnit.MILLISECONDS)
    static class Timed {

        @Test
        @Timeout(value = 200, unit = TimeUnit.MILLISECONDS)
        void outlivesItsOwnTimeout() throws InterruptedException {
            hang();
        }

        @Test
        void outlivesTheClassTimeout() throws InterruptedException {
            hang();
        }

        @Test
        @Timeout(60)
        void endsInTime() {
        }

        /** Far longer than the timeouts above, at any patience factor (both are scaled by it). */
        private static void hang() throws InterruptedException {
            new CountDownLatch(1).await(Patience.seconds(5).toMillis(), TimeUnit.MILLISECONDS);
        }
    }
}
