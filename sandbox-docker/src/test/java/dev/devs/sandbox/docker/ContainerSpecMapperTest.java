package dev.devs.sandbox.docker;

import static org.assertj.core.api.Assertions.assertThat;

import com.github.dockerjava.api.model.Capability;
import com.github.dockerjava.api.model.HostConfig;
import com.github.dockerjava.api.model.Mount;
import com.github.dockerjava.api.model.MountType;
import dev.devs.sandbox.ResourceLabels;
import dev.devs.sandbox.SandboxSpec;
import java.util.List;
import org.junit.jupiter.api.Test;

/** What the engine is asked to create for a spec, checked without an engine. */
class ContainerSpecMapperTest {

    private static final String ID = "sbx-0123456789ab";
    private static final String SESSION = "session-1";

    @Test
    void defaultSpecGetsTheSecureDefaults() {
        ContainerSpecMapper.Plan plan = ContainerSpecMapper.map(SandboxSpec.builder("img:1").build(), ID, SESSION);
        HostConfig host = plan.hostConfig();

        assertThat(plan.name()).isEqualTo("devs-" + ID);
        assertThat(host.getNetworkMode()).isEqualTo("none");
        assertThat(host.getCapDrop()).containsExactly(Capability.ALL);
        assertThat(host.getCapAdd()).isNullOrEmpty();
        assertThat(host.getSecurityOpts()).containsExactly("no-new-privileges");
        assertThat(host.getReadonlyRootfs()).isTrue();
        assertThat(host.getInit()).isTrue();
        assertThat(host.getAutoRemove()).as("the engine removes it once it exits").isTrue();
        assertThat(host.getPrivileged()).as("privileged").isNull();
        assertThat(host.getPidsLimit()).isEqualTo(SandboxSpec.DEFAULT_PIDS_LIMIT);
        assertThat(host.getMemory()).isEqualTo(SandboxSpec.DEFAULT_MEMORY_BYTES);
        assertThat(host.getMemorySwap()).as("swap equal to memory: no swap").isEqualTo(SandboxSpec.DEFAULT_MEMORY_BYTES);
        assertThat(host.getNanoCPUs()).isEqualTo(1_000_000_000L);
        String tmpfs = "rw,exec,nosuid,nodev,mode=1777,size=" + SandboxSpec.DEFAULT_MEMORY_BYTES;
        assertThat(host.getTmpFs()).containsExactly(java.util.Map.entry("/workspace", tmpfs + ",uid=65534,gid=65534"),
                java.util.Map.entry("/tmp", tmpfs));
        assertThat(host.getMounts()).isEmpty();
        assertThat(plan.volumes()).isEmpty();
    }

    @Test
    void labelsAreTheSpecsPlusTheDriversWithOwnerAndExpiry() {
        SandboxSpec spec = SandboxSpec.builder("img:1").label("team", "a").startupTimeout(java.time.Duration.ofSeconds(60))
                .maxLifetime(java.time.Duration.ofMinutes(10)).build();
        Owner owner = new Owner("host-a/pid:[1]", 4242, 1_700_000_000_000L);

        ContainerSpecMapper.Plan plan = ContainerSpecMapper.map(spec, ID, SESSION, owner, java.time.Instant.ofEpochSecond(1_000));

        assertThat(plan.labels()).containsOnly(
                java.util.Map.entry("team", "a"),
                java.util.Map.entry(ResourceLabels.MANAGED, "true"),
                java.util.Map.entry(ResourceLabels.SANDBOX_ID, ID),
                java.util.Map.entry(ResourceLabels.SESSION, SESSION),
                java.util.Map.entry(Owner.LABEL_HOST, "host-a/pid:[1]"),
                java.util.Map.entry(Owner.LABEL_PID, "4242"),
                java.util.Map.entry(Owner.LABEL_STARTED, "1700000000000"),
                java.util.Map.entry(Owner.LABEL_EXPIRES, Long.toString(1_000 + 60 + 600)));
    }

    @Test
    void theCommandRunsUnderTheOwnerWatchdogWithAnOpenOnceStdin() {
        SandboxSpec spec = SandboxSpec.builder("img:1").command("sleep", "5").maxLifetime(java.time.Duration.ofMillis(90_500)).build();

        com.github.dockerjava.api.command.CreateContainerCmd cmd = ContainerSpecMapper.map(spec, ID, SESSION)
                .applyTo(new com.github.dockerjava.core.command.CreateContainerCmdImpl(c -> null, null, "img:1"), spec.command());

        assertThat(cmd.getEntrypoint()).containsExactly("/bin/sh", "-c", OwnerWatchdog.SCRIPT, "devs-sandbox", "91");
        assertThat(cmd.getCmd()).containsExactly("sleep", "5");
        assertThat(cmd.isStdinOpen()).isTrue();
        assertThat(cmd.isStdInOnce()).isTrue();
    }

    @Test
    void scratchVolumesAreAnonymousTmpfsBackedLabelledAndMountedInOrder() {
        SandboxSpec spec = SandboxSpec.builder("img:1").memoryBytes(64L << 20).scratchVolume("/scratch").scratchVolume("/data").build();

        ContainerSpecMapper.Plan plan = ContainerSpecMapper.map(spec, ID, SESSION);

        assertThat(plan.volumes()).extracting(ContainerSpecMapper.Volume::target).containsExactly("/scratch", "/data");
        assertThat(plan.volumes()).allSatisfy(v -> {
            assertThat(v.driverOpts()).containsEntry("type", "tmpfs").containsEntry("device", "tmpfs")
                    .containsEntry("o", "mode=1777,nosuid,nodev,size=" + (64L << 20));
            assertThat(v.labels()).isEqualTo(plan.labels());
        });
        List<Mount> mounts = plan.hostConfig().getMounts();
        assertThat(mounts).extracting(Mount::getType, Mount::getSource, Mount::getTarget).containsExactly(
                org.assertj.core.groups.Tuple.tuple(MountType.VOLUME, null, "/scratch"),
                org.assertj.core.groups.Tuple.tuple(MountType.VOLUME, null, "/data"));
        assertThat(mounts).allSatisfy(m -> {
            assertThat(m.getVolumeOptions().getLabels()).isEqualTo(plan.labels());
            assertThat(m.getVolumeOptions().getDriverConfig().getOptions()).containsEntry("type", "tmpfs");
        });
    }

    @Test
    void tmpIsNotMountedTwice() {
        HostConfig workDirTmp = ContainerSpecMapper.map(SandboxSpec.builder("img:1").workDir("/tmp").build(), ID, SESSION).hostConfig();
        HostConfig scratchTmp = ContainerSpecMapper.map(SandboxSpec.builder("img:1").scratchVolume("/tmp").build(), ID, SESSION).hostConfig();

        assertThat(workDirTmp.getTmpFs()).containsOnlyKeys("/tmp");
        assertThat(scratchTmp.getTmpFs()).containsOnlyKeys("/workspace");
    }

    @Test
    void theWorkDirIsOwnedByANumericUserAndLeftToTheEngineForANamedOne() {
        assertThat(ContainerSpecMapper.ownerOptions("1000")).isEqualTo(",uid=1000");
        assertThat(ContainerSpecMapper.ownerOptions("1000:2000")).isEqualTo(",uid=1000,gid=2000");
        assertThat(ContainerSpecMapper.ownerOptions("nobody")).isEmpty();
        assertThat(ContainerSpecMapper.ownerOptions("")).isEmpty();
    }

    @Test
    void zeroLimitsAreLeftToTheEngineAndLooseningIsExplicit() {
        SandboxSpec spec = SandboxSpec.builder("img:1").pidsLimit(0).memoryBytes(0).cpus(0).readOnlyRootFs(false).network("bridge").build();

        HostConfig host = ContainerSpecMapper.map(spec, ID, SESSION).hostConfig();

        assertThat(host.getPidsLimit()).isNull();
        assertThat(host.getMemory()).isNull();
        assertThat(host.getMemorySwap()).isNull();
        assertThat(host.getNanoCPUs()).isNull();
        assertThat(host.getTmpFs()).containsEntry("/workspace", "rw,exec,nosuid,nodev,mode=1777,uid=65534,gid=65534");
        assertThat(host.getReadonlyRootfs()).isFalse();
        assertThat(host.getNetworkMode()).isEqualTo("bridge");
        assertThat(host.getCapDrop()).as("loosening never brings capabilities back").containsExactly(Capability.ALL);
    }

    @Test
    void theRuntimeIsTheEnginesDefaultUnlessTheSpecNamesOne() {
        assertThat(ContainerSpecMapper.map(SandboxSpec.builder("img:1").build(), ID, SESSION).hostConfig().getRuntime()).isNull();
        assertThat(ContainerSpecMapper.map(SandboxSpec.builder("img:1").runtime("runsc").build(), ID, SESSION).hostConfig().getRuntime())
                .isEqualTo("runsc");
    }

    @Test
    void cpusBecomeNanoCpusRounded() {
        HostConfig host = ContainerSpecMapper.map(SandboxSpec.builder("img:1").cpus(0.25).build(), ID, SESSION).hostConfig();

        assertThat(host.getNanoCPUs()).isEqualTo(250_000_000L);
    }

    @Test
    void environmentIsPassedAsKeyEqualsValueInOrder() {
        SandboxSpec spec = SandboxSpec.builder("img:1").env("A", "1").env("B", "x=y").build();

        assertThat(ContainerSpecMapper.map(spec, ID, SESSION).env()).containsExactly("A=1", "B=x=y");
    }
}
