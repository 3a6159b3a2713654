package dev.devs.sandbox.kubernetes;

import io.fabric8.kubernetes.api.model.ContainerState;
import io.fabric8.kubernetes.api.model.ContainerStatus;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodCondition;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/** Reads what a Pod's status says about a start: its conditions, its container's state, and the ways a start fails. */
final class PodStatusView {

    /** Waiting reasons after which the kubelet will not start the container without someone changing the Pod. */
    private static final Set<String> IMAGE_FAILURES = Set.of("ImagePullBackOff", "ErrImageNeverPull", "InvalidImageName");
    private static final Set<String> CONTAINER_FAILURES = Set.of("CreateContainerConfigError", "CreateContainerError", "RunContainerError");

    private final Pod pod;

    PodStatusView(Pod pod) {
        this.pod = pod;
    }

    boolean isScheduled() {
        return condition("PodScheduled").filter(c -> "True".equals(c.getStatus())).isPresent();
    }

    boolean isReady() {
        return condition("Ready").filter(c -> "True".equals(c.getStatus())).isPresent();
    }

    boolean isRunning() {
        return state().map(ContainerState::getRunning).isPresent();
    }

    boolean isTerminated() {
        String phase = phase();
        return "Failed".equals(phase) || "Succeeded".equals(phase) || state().map(ContainerState::getTerminated).isPresent();
    }

    String phase() {
        return pod.getStatus() == null ? null : pod.getStatus().getPhase();
    }

    /** The scheduler's reason and message when it found no node, else empty. */
    Optional<String> unschedulable() {
        return condition("PodScheduled")
                .filter(c -> "False".equals(c.getStatus()) && "Unschedulable".equals(c.getReason()))
                .map(c -> c.getReason() + ": " + c.getMessage());
    }

    /** The waiting reason when the image cannot be pulled (after the kubelet backed off at least once), else empty. */
    Optional<String> imageFailure() {
        return waitingReason().filter(IMAGE_FAILURES::contains);
    }

    /** The waiting reason when the container cannot be created or run, else empty. */
    Optional<String> containerFailure() {
        return waitingReason().filter(CONTAINER_FAILURES::contains);
    }

    Optional<String> waitingReason() {
        return state().map(ContainerState::getWaiting).map(w -> w.getReason());
    }

    String waitingMessage() {
        return state().map(ContainerState::getWaiting).map(w -> w.getMessage()).orElse("");
    }

    /** Exit code and reason of a container that ended, or the Pod's own reason (e.g. DeadlineExceeded). */
    String terminationSummary() {
        StringBuilder sb = new StringBuilder("phase ").append(phase());
        if (pod.getStatus() != null && pod.getStatus().getReason() != null) {
            sb.append(", reason ").append(pod.getStatus().getReason()).append(": ").append(pod.getStatus().getMessage());
        }
        state().map(ContainerState::getTerminated).ifPresent(t -> sb.append(", container exit code ").append(t.getExitCode())
                .append(" (").append(t.getReason()).append(t.getMessage() == null ? "" : ": " + t.getMessage()).append(')'));
        return sb.toString();
    }

    /** Whether the container was ended by SIGKILL (137): the grace period ran out, or the OOM killer. */
    boolean wasKilled() {
        return state().map(ContainerState::getTerminated).filter(t -> t.getExitCode() != null && t.getExitCode() == 137).isPresent();
    }

    /**
     * The Pod's own timestamps of its milestones (scheduler's and kubelet's clocks, whole seconds), as attributes:
     * {@code podScheduledAt}, {@code containerStartedAt}, {@code podReadyAt}, where present.
     */
    Map<String, String> milestoneTimes() {
        Map<String, String> times = new LinkedHashMap<>();
        condition("PodScheduled").map(PodCondition::getLastTransitionTime).ifPresent(t -> times.put("podScheduledAt", t));
        state().map(ContainerState::getRunning).map(r -> r.getStartedAt()).ifPresent(t -> times.put("containerStartedAt", t));
        condition("Ready").map(PodCondition::getLastTransitionTime).ifPresent(t -> times.put("podReadyAt", t));
        return times;
    }

    /** One line for a timeout message: phase, conditions and the container's state. */
    String describe() {
        StringBuilder sb = new StringBuilder("phase ").append(phase());
        if (pod.getStatus() != null && pod.getStatus().getConditions() != null) {
            for (PodCondition c : pod.getStatus().getConditions()) {
                sb.append(", ").append(c.getType()).append('=').append(c.getStatus());
            }
        }
        waitingReason().ifPresent(r -> sb.append(", waiting: ").append(r).append(' ').append(waitingMessage()));
        return sb.toString();
    }

    private Optional<PodCondition> condition(String type) {
        if (pod.getStatus() == null || pod.getStatus().getConditions() == null) {
            return Optional.empty();
        }
        return pod.getStatus().getConditions().stream().filter(c -> type.equals(c.getType())).findFirst();
    }

    private Optional<ContainerState> state() {
        if (pod.getStatus() == null) {
            return Optional.empty();
        }
        List<ContainerStatus> statuses = pod.getStatus().getContainerStatuses();
        if (statuses == null || statuses.isEmpty()) {
            return Optional.empty();
        }
        return Optional.ofNullable(statuses.get(0).getState());
    }
}
