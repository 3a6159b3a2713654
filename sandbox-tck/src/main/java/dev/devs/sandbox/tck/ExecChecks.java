package dev.devs.sandbox.tck;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.devs.sandbox.ExecResult;
import dev.devs.sandbox.Sandbox;
import dev.devs.sandbox.SandboxExecTimeoutException;
import dev.devs.sandbox.SandboxSpec;
import dev.devs.sandbox.tck.SandboxDriverContract.Ability;

/**
 * The contract's checks of exec (see {@link SandboxDriverContract}): exit codes and standard error, a timeout that
 * leaves the sandbox usable, and the spec's env and working directory.
 */
final class ExecChecks {

    static void execReportsExitCodesAndStandardError(SandboxDriverContract c) throws Exception {
        Sandbox sandbox = c.provider.start(c.runningSpec());

        ExecResult ok = sandbox.exec(c.execCommand(), c.patience());
        ExecResult failed = sandbox.exec(c.failingExecCommand(), c.patience());

        assertThat(ok.exitCode()).as("exit code of %s", c.execCommand()).isZero();
        assertThat(failed.exitCode()).as("exit code of %s", c.failingExecCommand()).isEqualTo(c.failingExecExitCode()).isNotZero();
        if (c.cannot(Ability.SEPARATE_STDERR).isPresent()) {
            assertThat(failed.stdout() + failed.stderr()).as("output of %s", c.failingExecCommand()).contains(c.failingExecError());
        } else {
            assertThat(failed.stderr()).as("stderr of %s", c.failingExecCommand()).contains(c.failingExecError());
            assertThat(failed.stdout()).as("stdout of %s", c.failingExecCommand()).doesNotContain(c.failingExecError());
        }
    }

    static void execTimeoutThrowsAndTheSandboxStaysUsable(SandboxDriverContract c) throws Exception {
        Sandbox sandbox = c.provider.start(c.runningSpec());

        assertThatThrownBy(() -> sandbox.exec(c.hangingExecCommand(), c.expiringExecTimeout()))
                .isInstanceOf(SandboxExecTimeoutException.class);

        assertThat(sandbox.isAlive()).as("alive after an exec timed out").isTrue();
        ExecResult after = sandbox.exec(c.execCommand(), c.patience());
        assertThat(after.exitCode()).isZero();
        assertThat(after.stdout().trim()).isEqualTo(c.execOutput());
    }

    static void execRunsWithTheSpecsEnv(SandboxDriverContract c) throws Exception {
        c.require(Ability.ENV);
        Sandbox sandbox = c.provider.start(c.runningSpec().toBuilder().env("CONTRACT_ENV", "contract-value").build());

        ExecResult env = sandbox.exec(c.envCommand(), c.patience());

        assertThat(env.exitCode()).isZero();
        assertThat(env.stdout()).as("output of %s", c.envCommand()).contains("CONTRACT_ENV=contract-value");
    }

    static void execRunsInTheSpecsWorkingDirectory(SandboxDriverContract c) throws Exception {
        c.require(Ability.WORKDIR);
        SandboxSpec spec = c.runningSpec().toBuilder().workDir("/contract-workdir").build();
        Sandbox sandbox = c.provider.start(spec);

        ExecResult pwd = sandbox.exec(c.pwdCommand(), c.patience());

        assertThat(pwd.exitCode()).isZero();
        assertThat(pwd.stdout().trim()).as("output of %s", c.pwdCommand()).isEqualTo("/contract-workdir");
    }

    private ExecChecks() {
    }
}
