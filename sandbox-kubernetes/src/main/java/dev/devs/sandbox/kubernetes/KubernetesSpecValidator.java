package dev.devs.sandbox.kubernetes;

import dev.devs.sandbox.SandboxSpec;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * What a {@link SandboxSpec} must satisfy to be expressed as a Pod under Pod Security "restricted", checked in
 * {@link KubernetesDriver#validate} before any event or API call.
 */
final class KubernetesSpecValidator {

    /** The name part of a label key, and a label value: 63 characters, alphanumeric at both ends. */
    private static final Pattern LABEL_NAME = Pattern.compile("([A-Za-z0-9][-A-Za-z0-9_.]{0,61})?[A-Za-z0-9]");
    /** The optional prefix of a label key: a DNS subdomain. */
    private static final Pattern DNS_SUBDOMAIN = Pattern.compile("[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*");
    private static final Pattern USER = Pattern.compile("(\\d+)(:(\\d+))?");

    private KubernetesSpecValidator() {
    }

    /** Rules for Pod mode: the spec becomes the Pod. */
    static void validatePod(SandboxSpec spec, boolean networkPolicies) {
        if (spec.image() == null) {
            throw new IllegalArgumentException("image is not set: the Kubernetes driver runs the spec's image as a Pod;"
                    + " give one, e.g. SandboxSpec.builder(\"busybox:1.36\")");
        }
        validateNetwork(spec.network(), networkPolicies);
        parseUser(spec.user());
        validateLabels(spec.labels());
        rejectMinimumRunningTime(spec);
    }

    /**
     * A Pod's Ready condition says nothing about how long its container has run (minReadySeconds exists only on
     * workloads such as Deployments), so the driver cannot keep the field's promise and refuses it.
     */
    private static void rejectMinimumRunningTime(SandboxSpec spec) {
        if (!spec.minimumRunningTime().isZero()) {
            throw new IllegalArgumentException("minimumRunningTime " + spec.minimumRunningTime() + " is not supported by the"
                    + " Kubernetes driver: a Pod's readiness cannot say how long its container has run; leave it at PT0S, or"
                    + " give a readinessProbe that checks what the program needs");
        }
    }

    /** Rules for claim mode: the SandboxTemplate decides image, command, limits and security; the spec adds env and labels. */
    static void validateClaim(SandboxSpec spec, String template) {
        if (spec.image() != null) {
            throw new IllegalArgumentException("image '" + spec.image() + "' cannot be honoured in claim mode: the SandboxTemplate '"
                    + template + "' decides the image; leave image unset (SandboxSpec.builder()) or use Pod mode");
        }
        if (!spec.command().isEmpty()) {
            throw new IllegalArgumentException("command " + spec.command() + " cannot be honoured in claim mode: the SandboxTemplate '"
                    + template + "' decides the command; leave it empty or use Pod mode");
        }
        validateLabels(spec.labels());
        rejectMinimumRunningTime(spec);
    }

    private static void validateNetwork(String network, boolean networkPolicies) {
        switch (network) {
            case "none" -> {
                if (!networkPolicies) {
                    throw new IllegalArgumentException("network 'none' cannot be guaranteed: this driver was built with"
                            + " networkPolicies(false), so no deny-all NetworkPolicy isolates the Pod; enable them or use network 'bridge'"
                            + " (the cluster's Pod network) explicitly");
                }
            }
            case "bridge" -> {
                // The cluster's Pod network, without a policy of ours.
            }
            case "host" -> throw new IllegalArgumentException("network 'host' is not allowed: Pod Security 'restricted' forbids"
                    + " hostNetwork; use 'none' (a deny-all NetworkPolicy) or 'bridge' (the cluster's Pod network)");
            default -> throw new IllegalArgumentException("network '" + network + "' has no meaning on Kubernetes: use 'none'"
                    + " (a deny-all NetworkPolicy) or 'bridge' (the cluster's Pod network)");
        }
    }

    /**
     * The user as {uid, gid} ({@code gid} null when not given); both null for an empty user, which leaves the
     * image's user to the kubelet's {@code runAsNonRoot} check.
     */
    static Long[] parseUser(String user) {
        if (user.isEmpty()) {
            return new Long[] {null, null};
        }
        var m = USER.matcher(user);
        if (!m.matches()) {
            throw new IllegalArgumentException("user '" + user + "' is not numeric: Pod Security 'restricted' needs runAsNonRoot,"
                    + " which the kubelet can only verify for a numeric uid; use uid[:gid], e.g. '65534:65534'");
        }
        long uid = Long.parseLong(m.group(1));
        if (uid == 0) {
            throw new IllegalArgumentException("user '" + user + "' is root: Pod Security 'restricted' forbids running as uid 0;"
                    + " use a non-zero uid, e.g. '65534:65534'");
        }
        return new Long[] {uid, m.group(3) == null ? null : Long.parseLong(m.group(3))};
    }

    private static void validateLabels(Map<String, String> labels) {
        labels.forEach((key, value) -> {
            int slash = key.indexOf('/');
            String prefix = slash < 0 ? null : key.substring(0, slash);
            String name = slash < 0 ? key : key.substring(slash + 1);
            if (!LABEL_NAME.matcher(name).matches() || (prefix != null && (prefix.length() > 253 || !DNS_SUBDOMAIN.matcher(prefix).matches()))) {
                throw new IllegalArgumentException("label key '" + key + "' is not a Kubernetes label key: use an optional DNS"
                        + " prefix and '/', then up to 63 characters [A-Za-z0-9-_.] starting and ending alphanumeric");
            }
            if (!value.isEmpty() && !LABEL_NAME.matcher(value).matches()) {
                throw new IllegalArgumentException("label '" + key + "' value '" + value + "' is not a Kubernetes label value:"
                        + " use up to 63 characters [A-Za-z0-9-_.] starting and ending alphanumeric, or empty");
            }
        });
    }
}
