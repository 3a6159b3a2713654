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

    @Override
    public void validate(SandboxSpec spec) {
        if (rejectSpecs) {
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
        if (startType != null) {
            context.startType(startType);
        }
        String id = context.sandboxId();
        alive.add(id);
        return new Handle() {
            @Override
            public ExecResult exec(List<String> command, Duration timeout) {
                return new ExecResult(0, String.join(" ", command), "", Duration.ZERO);
            }

            @Override
            public ExecResult exec(List<String> command, Map<String, String> env, String workingDir, Duration timeout) {
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
                if (!leakOnStop) {
                    alive.remove(id);
                }
                if (stopFailure != null) {
                    throw stopFailure;
                }
                return stopOutcome;
            }

            @Override
            public boolean isAlive() {
                return alive.contains(id);
            }

            private volatile boolean paused;

            @Override
            public boolean canPause() {
                return canPause;
            }

            @Override
            public boolean canCheckpoint() {
                return canCheckpoint;
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

    @Override
    public void close() {
        calls.add("close");
        closed.set(true);
    }
}
