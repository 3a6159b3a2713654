package dev.devs.sandbox.docker;

import static dev.devs.sandbox.docker.DockerTestSupport.api;
import static org.assertj.core.api.Assertions.assertThat;

import com.github.dockerjava.api.command.InspectContainerResponse;
import com.github.dockerjava.api.model.Capability;
import com.github.dockerjava.api.model.HostConfig;
import dev.devs.sandbox.ExecResult;
import dev.devs.sandbox.ResourceLabels;
import dev.devs.sandbox.Sandbox;
import dev.devs.sandbox.SandboxProvider;
import dev.devs.sandbox.SandboxSpec;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The design's secure defaults, verified from inside a sandbox started with an untouched spec (only the
 * image, a command and a scratch volume), and cross-checked against what the engine reports.
 */
@Timeout(60)
@ExtendWith(SessionLeakCheck.class)
class SecureDefaultsTest {

    private static SandboxProvider provider;
    private static Sandbox sandbox;

    @BeforeAll
    static void startSandbox() {
        provider = SandboxProvider.of(new DockerDriver());
        sandbox = provider.start(DockerTestSupport.sleeper().scratchVolume("/scratch").label("team", "sandbox-tests").build());
    }

    @AfterAll
    static void stopSandbox() {
        provider.close();
    }

    private static String sh(String script) {
        ExecResult r = sandbox.exec("sh", "-c", script);
        assertThat(r.exitCode()).as("exit code of %s (stderr %s)", script, r.stderr()).isZero();
        return r.stdout();
    }

    @Test
    void onlyTheLoopbackInterfaceExistsAndThereIsNoRoute() {
        // What the sandbox's network namespace holds, read from inside: with any network but "none" there is an
        // eth0 and a default route, whether or not the machine itself can reach anything.
        assertThat(sh("ls /sys/class/net").lines()).as("interfaces in /sys/class/net").containsExactly("lo");
        // /proc/net/dev: two header lines, then one "name: counters" line per interface.
        List<String> interfaces = sh("cat /proc/net/dev").lines().skip(2)
                .map(l -> l.substring(0, l.indexOf(':')).strip()).collect(Collectors.toList());
        assertThat(interfaces).as("interfaces in /proc/net/dev").containsExactly("lo");
        // /proc/net/route: a header line, then one line per IPv4 route of the main table (loopback has none there).
        assertThat(sh("cat /proc/net/route").lines().skip(1)).as("IPv4 routes").isEmpty();
    }

    @Test
    void runsAsNobodyNotRoot() {
        assertThat(sh("id -u; id -g")).isEqualTo("65534\n65534\n");
        // The main process too, not only the exec'd commands.
        assertThat(sh("stat -c %u /proc/1/task/1 2>/dev/null || awk '/^Uid:/{print $2}' /proc/1/status").strip()).isEqualTo("65534");
    }

    @Test
    void everyCapabilityIsDroppedAndNoNewPrivilegesIsSet() {
        Map<String, String> status = sh("cat /proc/self/status").lines().filter(l -> l.contains(":\t"))
                .collect(Collectors.toMap(l -> l.substring(0, l.indexOf(':')), l -> l.substring(l.indexOf('\t') + 1).strip(), (a, b) -> a));
        for (String set : List.of("CapInh", "CapPrm", "CapEff", "CapBnd", "CapAmb")) {
            assertThat(status.get(set)).as(set).isEqualTo("0000000000000000");
        }
        assertThat(status.get("NoNewPrivs")).isEqualTo("1");
        // Consequence: not even chown of one's own file to another user works.
        assertThat(sandbox.exec("sh", "-c", "touch /tmp/mine && chown 0 /tmp/mine").exitCode()).isNotZero();
    }

    @Test
    void rootFileSystemIsReadOnlyWhileWorkDirTmpAndScratchAreWritable() {
        ExecResult root = sandbox.exec("sh", "-c", "echo x > /escape");
        assertThat(root.exitCode()).isNotZero();
        assertThat(root.stderr()).contains("Read-only file system");
        ExecResult etc = sandbox.exec("sh", "-c", "echo x >> /etc/passwd");
        assertThat(etc.exitCode()).isNotZero();

        assertThat(sh("echo w > /workspace/f && cat /workspace/f")).isEqualTo("w\n");
        assertThat(sh("echo t > /tmp/f && cat /tmp/f")).isEqualTo("t\n");
        assertThat(sh("echo s > /scratch/f && cat /scratch/f")).isEqualTo("s\n");
        // The work dir allows running what was written there (a code sandbox needs that).
        assertThat(sh("printf '#!/bin/sh\\necho ran\\n' > /workspace/run.sh && chmod +x /workspace/run.sh && /workspace/run.sh"))
                .isEqualTo("ran\n");
    }

    @Test
    void aWorkDirTheImageLacksIsStillWritableByTheSandboxUser() {
        // The tiny image ships /workspace with mode 1777; this path exists nowhere in it, as in most images.
        try (Sandbox other = provider.start(DockerTestSupport.sleeper().workDir("/not-in-the-image/work").build())) {
            ExecResult r = other.exec("sh", "-c", "pwd; echo w > f && cat f");
            assertThat(r.stderr()).isEmpty();
            assertThat(r.stdout()).isEqualTo("/not-in-the-image/work\nw\n");
        }
    }

    @Test
    void pidsAndMemoryLimitsAreVisibleInTheCgroup() {
        // cgroup v1 on this machine; v2 paths first so that the check also reads right elsewhere.
        String pids = sh("cat /sys/fs/cgroup/pids.max 2>/dev/null || cat /sys/fs/cgroup/pids/pids.max").strip();
        String memory = sh("cat /sys/fs/cgroup/memory.max 2>/dev/null || cat /sys/fs/cgroup/memory/memory.limit_in_bytes").strip();
        assertThat(pids).isEqualTo(Long.toString(SandboxSpec.DEFAULT_PIDS_LIMIT));
        assertThat(memory).isEqualTo(Long.toString(SandboxSpec.DEFAULT_MEMORY_BYTES));
    }

    @Test
    void theEngineReportsTheSameConfiguration() {
        InspectContainerResponse info = api().inspectContainerCmd(sandbox.attributes().get("containerId")).exec();
        HostConfig host = info.getHostConfig();
        assertThat(host.getNetworkMode()).isEqualTo("none");
        assertAllCapabilitiesDropped(host);
        assertThat(host.getCapAdd()).isNullOrEmpty();
        assertThat(host.getSecurityOpts()).containsExactly("no-new-privileges");
        assertThat(host.getReadonlyRootfs()).isTrue();
        assertThat(host.getPrivileged()).isFalse();
        assertThat(host.getInit()).isTrue();
        assertThat(host.getPidsLimit()).isEqualTo(SandboxSpec.DEFAULT_PIDS_LIMIT);
        assertThat(host.getMemory()).isEqualTo(SandboxSpec.DEFAULT_MEMORY_BYTES);
        assertThat(host.getMemorySwap()).isEqualTo(SandboxSpec.DEFAULT_MEMORY_BYTES);
        assertThat(host.getNanoCPUs()).isEqualTo(1_000_000_000L);
        // Podman adds tmpfs mounts at /run and /var/tmp of its own to a read-only container; dockerd adds none.
        assertThat(host.getTmpFs()).containsKeys("/workspace", "/tmp");
        assertThat(host.getTmpFs().keySet()).isSubsetOf("/workspace", "/tmp", "/run", "/var/tmp");
        assertThat(info.getConfig().getUser()).isEqualTo(SandboxSpec.DEFAULT_USER);
        assertThat(info.getName()).isEqualTo("/" + ResourceLabels.NAME_PREFIX + sandbox.id());
        assertThat(info.getConfig().getLabels())
                .containsEntry(ResourceLabels.MANAGED, "true")
                .containsEntry(ResourceLabels.SANDBOX_ID, sandbox.id())
                .containsEntry(ResourceLabels.SESSION, SandboxProvider.JVM_SESSION_ID)
                .containsEntry("team", "sandbox-tests");
        String volume = DockerTestSupport.cliVolumesOf(sandbox.id()).get(0);
        if (DockerTestSupport.PODMAN) {
            // Podman gives anonymous volumes no labels (docs/operations/podman.md): what finds and removes this one is
            // its labelled container, which must remove it with itself.
            assertThat(host.getAutoRemove()).as("AutoRemove, which takes the anonymous volume with the container").isTrue();
            assertThat(api().inspectVolumeCmd(volume).exec().getLabels()).as("labels of the scratch volume on Podman")
                    .doesNotContainKey(ResourceLabels.MANAGED);
        } else {
            assertThat(api().inspectVolumeCmd(volume).exec().getLabels())
                    .containsEntry(ResourceLabels.MANAGED, "true")
                    .containsEntry(ResourceLabels.SANDBOX_ID, sandbox.id())
                    .containsEntry(ResourceLabels.SESSION, SandboxProvider.JVM_SESSION_ID);
        }
    }

    @Test
    void aSpecCanLoosenTheDefaultsExplicitly() {
        try (SandboxProvider p = SandboxProvider.of(new DockerDriver());
             Sandbox loose = p.start(DockerTestSupport.sleeper().readOnlyRootFs(false).user("0").pidsLimit(0).memoryBytes(0).cpus(0).build())) {
            assertThat(loose.exec("id", "-u").stdout()).isEqualTo("0\n");
            // Into /etc, not /: Podman makes the root directory of a FROM-scratch image 0555, and root without
            // DAC_OVERRIDE may not write there (dockerd makes it 0755). /etc is 0755 in the image on both.
            assertThat(loose.exec("sh", "-c", "echo x > /etc/written && cat /etc/written").stdout()).isEqualTo("x\n");
            HostConfig host = api().inspectContainerCmd(loose.attributes().get("containerId")).exec().getHostConfig();
            assertThat(host.getMemory()).isZero();
            assertThat(host.getNanoCPUs()).isZero();
            // Loosening the file system and user does not bring capabilities back.
            assertAllCapabilitiesDropped(host);
        }
    }

    /**
     * dockerd reports the drop as asked ({@code ALL}); Podman reports it expanded into its default set. Either
     * way nothing is left: the in-container check of the capability sets above is the one that counts.
     */
    private static void assertAllCapabilitiesDropped(HostConfig host) {
        assertThat(host.getCapDrop()).satisfiesAnyOf(
                drop -> assertThat(drop).containsExactly(Capability.ALL),
                drop -> assertThat(drop).contains(Capability.CHOWN, Capability.DAC_OVERRIDE, Capability.FOWNER,
                        Capability.FSETID, Capability.KILL, Capability.NET_BIND_SERVICE, Capability.SETFCAP,
                        Capability.SETGID, Capability.SETPCAP, Capability.SETUID, Capability.SYS_CHROOT));
    }
}
