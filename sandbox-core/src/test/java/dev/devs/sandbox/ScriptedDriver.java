package dev.devs.sandbox;

import dev.devs.sandbox.spi.PhaseRecorder;
import dev.devs.sandbox.spi.SandboxDriver;
import dev.devs.sandbox.spi.StartContext;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;

/**
 * A test stand-in: an in-process driver for testing the provider's and the pool's own bookkeeping (ids, events, idempotence,
 * listener isolation). It provisions nothing: the real drivers are tested against a real Docker
 * engine and a real Chromium in their own modules.
 */
public final class ScriptedDriver implements SandboxDriver {
    final AtomicInteger starts = new AtomicInteger();
    /** When each start() began (monotonic nanoseconds), in order. */
    final Queue<Long> startedAt = new ConcurrentLinkedQueue<>();
    final AtomicInteger stops = new AtomicInteger();
    final AtomicBoolean closed = new AtomicBoolean();
    volatile Function<SandboxSpec, RuntimeException> failure = spec -> null;
    volatile StopOutcome stopOutcome = StopOutcome.STOPPED;
    volatile RuntimeException stopFailure;
    volatile StartType startType = StartType.WARM;
    volatile boolean rejectSpecs;
    /** A start of this image fails as an engine's would: image not found, naming the sandbox. */
    volatile String missingImage;
    /** Forks made ({@link #fork}); a fork is a start that counts here too. */
    final AtomicInteger forks = new AtomicInteger();
    /** Whether its sandboxes can checkpoint (into nothing: a stand-in checkpoint of 1 byte) and be forked. */
    volatile boolean canCheckpoint;
    /** Whether its sandboxes can pause (they only remember it); false, the SPI's default, unless a test says so. */
    volatile boolean canPause;
    /** A planted defect for the contract suite's own test: stop() reports success but keeps the sandbox. */
    volatile boolean leakOnStop;
    /** A planted defect: start() ignores its caller's interrupt. */
    volatile boolean ignoreInterrupts;
    /** A planted defect: exec reports exit code 0 whatever the command's was. */
    volatile boolean loseExitCodes;
    /** A planted defect: an exec that times out takes its sandbox down with it. */
    volatile boolean execTimeoutKillsSandbox;
    /** A planted defect: a start that runs out of startup timeout fails with a plain start exception, not a timeout. */
    volatile boolean startTimeoutAsPlainFailure;
    /** A planted defect: a sandbox whose program ended still reports itself alive. */
    volatile boolean endedLooksAlive;
    /** A planted defect: stop reports this outcome whatever happened. */
    volatile StopOutcome forcedStopOutcome;
    /** A planted defect: validate() leaves a resource behind before it rejects a spec. */
    volatile boolean leakOnReject;
    /** A planted defect: a stop of a sandbox already released throws instead of counting it released. */
    volatile boolean failWhenAlreadyReleased;
    /** A planted defect: a second close() throws. */
    volatile boolean closeOnlyOnce;
    /** A planted defect: exec ignores the spec's env and working directory. */
    volatile boolean ignoreSpecEnvAndWorkDir;
    /** A planted defect: sandboxes outlive their spec's maxLifetime. */
    volatile boolean ignoreMaxLifetime;
    /** Label of a spec whose program ignores SIGTERM: stop has to kill it. */
    static final String IGNORES_SIGTERM = "scripted-ignores-sigterm";
    /** Sandboxes whose program ended by itself ({@link #endProgram}). */
    final Set<String> ended = ConcurrentHashMap.newKeySet();
    /** The sandboxes started and not yet released, as the contract suite's leak check sees them. */
    final Set<String> alive = ConcurrentHashMap.newKeySet();
    /** Files written into each sandbox, by sandbox id then absolute path. */
    final Map<String, Map<String, byte[]>> files = new ConcurrentHashMap<>();
    /** How long each start takes (a refill in flight for that long); zero by default. */
    volatile Duration startDelay = Duration.ZERO;
    /** When set, start() counts down {@link #startEntered} and blocks until this opens. */
    volatile CountDownLatch startGate;
    final CountDownLatch startEntered = new CountDownLatch(1);
    /**
     * When set, writeFiles() waits up to this long for another start() to begin and records in
     * {@link #startsDuringWrites} whether one did: a claim's customisation watching for its pool's refill.
     */
    volatile Duration watchStartsDuringWrites;
    final Queue<Boolean> startsDuringWrites = new ConcurrentLinkedQueue<>();
    private final Object startSignal = new Object();
    /** "stop" and "close" in the order they happened, to check what the provider does after closing the driver. */
    final Queue<String> calls = new ConcurrentLinkedQueue<>();

    @Override
    public String name() {
        return "scripted";
    }

    /** EXEC, and PAUSE and SNAPSHOT as {@link #canPause} and {@link #canCheckpoint} say. */
    @Override
    public java.util.Set<SandboxCapability> capabilities() {
        java.util.Set<SandboxCapability> c = java.util.EnumSet.of(SandboxCapability.EXEC);
        if (canPause) {
            c.add(SandboxCapability.PAUSE);
        }
        if (canCheckpoint) {
            c.add(SandboxCapability.SNAPSHOT);
        }
        return c;
    }

    @Override
    public void validate(SandboxSpec spec) {
        if (rejectSpecs) {
            if (leakOnReject) {
                alive.add("left-by-validate");
            }
            throw new IllegalArgumentException("image '" + spec.image() + "' is not accepted by the scripted driver");
        }
    }

    @Override
    public Handle fork(SandboxSpec spec, Checkpoint checkpoint, StartContext context) throws InterruptedException {
        forks.incrementAndGet();
        return start(spec, context);
    }

    @Override
    public Handle start(SandboxSpec spec, StartContext context) throws InterruptedException {
        startedAt.add(System.nanoTime());
        starts.incrementAndGet();
        synchronized (startSignal) {
            startSignal.notifyAll();
        }
        if (!ignoreInterrupts && Thread.interrupted()) {
            throw new InterruptedException("start of " + context.sandboxId() + " interrupted");
        }
        CountDownLatch gate = startGate;
        if (gate != null) {
            startEntered.countDown();
            try {
                gate.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted at the start gate", e);
            }
        }
        if (!startDelay.isZero()) {
            Thread.sleep(startDelay.toMillis()); // interruptible, as a real start's wait on I/O is
        }
        try (var p = context.phase("prepare")) {
            context.attribute("image", String.valueOf(spec.image()));
        }
        context.recordPhase("boot", 1_000_000);
        if (spec.image().equals(missingImage)) {
            throw new ImageNotFoundException(context.sandboxId(), missingImage, "image '" + missingImage + "' not found", null);
        }
        RuntimeException e = failure.apply(spec);
        if (e != null) {
            throw e;
        }
        if (spec.readinessProbe().equals(List.of("false"))) {
            // A probe that never passes: wait out the startup timeout the provider gave, as a driver's probe loop does.
            new CountDownLatch(1).await(Math.max(0, context.remaining().toNanos()), TimeUnit.NANOSECONDS);
            if (startTimeoutAsPlainFailure) {
                throw new SandboxStartException(context.sandboxId(), "readiness probe never passed");
            }
            context.checkDeadline("readiness");
        }
        if (startType != null) {
            context.startType(startType);
        }
        String id = context.sandboxId();
        alive.add(id);
        long expiresAt = System.nanoTime() + spec.maxLifetime().toNanos();
        return new Handle() {
            @Override
            public ExecResult exec(List<String> command, Duration timeout) {
                return new ExecResult(0, String.join(" ", command), "", Duration.ZERO);
            }

            private boolean programRunning() {
                return alive.contains(id) && !ended.contains(id) && (ignoreMaxLifetime || System.nanoTime() - expiresAt < 0);
            }

            @Override
            public ExecResult exec(List<String> command, Map<String, String> env, String workingDir, Duration timeout)
                    throws InterruptedException {
                // A few commands of the contract's, scripted: "fail <code> <stderr>", "hang", "print-env", "print-pwd".
                switch (command.get(0)) {
                    case "fail" -> {
                        return new ExecResult(loseExitCodes ? 0 : Integer.parseInt(command.get(1)), "", command.get(2), Duration.ZERO);
                    }
                    case "hang" -> {
                        new CountDownLatch(1).await(timeout.toNanos(), TimeUnit.NANOSECONDS);
                        if (execTimeoutKillsSandbox) {
                            alive.remove(id);
                        }
                        throw new SandboxExecTimeoutException(id, timeout, "command " + command + " did not finish within " + timeout);
                    }
                    case "print-env" -> {
                        StringBuilder out = new StringBuilder();
                        if (!ignoreSpecEnvAndWorkDir) {
                            spec.env().forEach((k, v) -> out.append(k).append('=').append(v).append('\n'));
                        }
                        env.forEach((k, v) -> out.append(k).append('=').append(v).append('\n'));
                        return new ExecResult(0, out.toString(), "", Duration.ZERO);
                    }
                    case "print-pwd" -> {
                        return new ExecResult(0, workingDir != null ? workingDir : ignoreSpecEnvAndWorkDir ? "/" : spec.workDir(), "",
                                Duration.ZERO);
                    }
                    default -> {
                    }
                }
                // Echoes what it would run with: the claim's env (sorted) and working directory, then the command.
                StringBuilder out = new StringBuilder();
                new java.util.TreeMap<>(env).forEach((k, v) -> out.append(k).append('=').append(v).append(' '));
                out.append("cwd=").append(workingDir).append(' ').append(String.join(" ", command));
                return new ExecResult(0, out.toString(), "", Duration.ZERO);
            }

            @Override
            public void writeFiles(Map<String, byte[]> written, String workingDir, Duration timeout) throws InterruptedException {
                Duration watch = watchStartsDuringWrites;
                if (watch != null) {
                    startsDuringWrites.add(startBegins(watch));
                }
                // Resolves relative paths as a driver would: against the working directory, or /workspace.
                String dir = workingDir == null ? "/workspace" : workingDir;
                written.forEach((path, content) -> files.computeIfAbsent(id, k -> new ConcurrentHashMap<>())
                        .put(path.startsWith("/") ? path : dir + "/" + path, content));
            }

            @Override
            public StopOutcome stop(Duration gracePeriod, PhaseRecorder phases) {
                stops.incrementAndGet();
                calls.add(closed.get() ? "stop after close" : "stop");
                phases.recordPhase("remove", 2_000_000);
                boolean wasReleased = !alive.contains(id);
                boolean endedBefore = !programRunning();
                if (!leakOnStop) {
                    alive.remove(id);
                }
                if (stopFailure != null) {
                    throw stopFailure;
                }
                if (wasReleased && failWhenAlreadyReleased) {
                    throw new SandboxException("sandbox " + id + " is not there to release");
                }
                if (forcedStopOutcome != null) {
                    return forcedStopOutcome;
                }
                // A program that had ended, or ignores SIGTERM, did not stop on request.
                return endedBefore || spec.labels().containsKey(IGNORES_SIGTERM) ? StopOutcome.KILLED : stopOutcome;
            }

            @Override
            public boolean isAlive() {
                return endedLooksAlive ? alive.contains(id) : programRunning();
            }

            private volatile boolean paused;

            @Override
            public java.util.Set<dev.devs.sandbox.SandboxCapability> capabilities() {
                return ScriptedDriver.this.capabilities();
            }

            @Override
            public Checkpoint checkpoint(String snapshotId, Duration timeout) {
                return new Checkpoint() {
                    @Override
                    public long sizeBytes() {
                        return 1;
                    }

                    @Override
                    public String location() {
                        return "scripted:" + snapshotId;
                    }

                    @Override
                    public void remove() {
                    }
                };
            }

            @Override
            public void pause(Duration timeout) {
                paused = true;
            }

            @Override
            public void resume(Duration timeout) {
                paused = false;
            }

            @Override
            public boolean isPaused() {
                return paused;
            }
        };
    }

    /** Whether a start() begins within {@code watch}. */
    private boolean startBegins(Duration watch) throws InterruptedException {
        int before = starts.get();
        long deadline = System.nanoTime() + watch.toNanos();
        synchronized (startSignal) {
            for (long left = watch.toNanos(); starts.get() == before && left > 0; left = deadline - System.nanoTime()) {
                TimeUnit.NANOSECONDS.timedWait(startSignal, left);
            }
        }
        return starts.get() != before;
    }

    /** Ends the program of sandbox {@code id}, as if it exited by itself. */
    void endProgram(String id) {
        ended.add(id);
    }

    @Override
    public void close() {
        calls.add("close");
        if (closed.getAndSet(true) && closeOnlyOnce) {
            throw new IllegalStateException("scripted driver closed twice");
        }
    }
}
