package dev.devs.sandbox.docker;

import com.github.dockerjava.api.exception.NotFoundException;
import dev.devs.sandbox.ExecSpec;
import dev.devs.sandbox.SandboxCapability;
import dev.devs.sandbox.SandboxEndpoint;
import dev.devs.sandbox.SandboxExecException;
import dev.devs.sandbox.SandboxProcess;
import dev.devs.sandbox.SandboxTerminal;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The working surface of one Docker sandbox: its processes, terminals, files and port relays. Owned by its
 * {@link ContainerHandle}, which ends it when the sandbox stops: every process handle then says the sandbox has
 * ended, every port listener closes.
 */
final class ContainerSurface {

    /** Everything: the engine's exec API gives streams, stdin, terminals; files and trees go through /bin/sh tools. */
    static final Set<SandboxCapability> CAPABILITIES = java.util.Collections.unmodifiableSet(EnumSet.allOf(SandboxCapability.class));

    /** What a surface works with; one per driver. */
    record Engine(EngineCalls engine, ExecRunner execs, ExecKiller killer, String dockerHost, DockerDriver.ExecPath execPath) {
    }

    /** The sandbox attribute naming the path commands take now: {@code channel} or {@code engine}. */
    static final String EXEC_PATH = "exec.path";
    /** The sandbox attribute saying why commands take that path. */
    static final String EXEC_PATH_REASON = "exec.path.reason";
    /** How long the channel's agent may take to start (off every caller's path, or on a pool's refill thread). */
    private static final java.time.Duration CHANNEL_OPEN_TIMEOUT = java.time.Duration.ofSeconds(20);
    /** How long a closed channel's agent may take to end (it kills its commands and exits at end of file). */
    private static final java.time.Duration CLOSE_WAIT = java.time.Duration.ofSeconds(5);
    private static final org.slf4j.Logger log = org.slf4j.LoggerFactory.getLogger(ContainerSurface.class);

    private final Engine with;
    private final String sandboxId;
    private final String containerId;
    private final List<Integer> ports;
    private final Set<Member> processes = ConcurrentHashMap.newKeySet();
    private final ContainerFiles files;
    private final PortRelays relays;
    private volatile boolean ended;
    /** The command channel once open; null before, and after it ended until it is opened again. */
    private volatile ExecChannel channel;
    private volatile String pathReason;
    /** Whether an open is under way or has failed for good (guarded by this). */
    private boolean opening;
    private boolean unavailable;
    /** Whether a checkpoint holds the channel closed: no open starts, one under way is closed when it ends (guarded by this). */
    private boolean held;

    ContainerSurface(Engine with, String sandboxId, String containerId, List<Integer> ports) {
        this.with = with;
        this.sandboxId = sandboxId;
        this.containerId = containerId;
        this.ports = List.copyOf(ports);
        this.files = new ContainerFiles(this);
        this.relays = new PortRelays(this);
        if (with.execPath() == DockerDriver.ExecPath.ENGINE) {
            unavailable = true;
            pathReason = "the host chose DockerDriver.ExecPath.ENGINE";
        } else if (ExecChannel.unavailableReason() != null) {
            unavailable = true;
            pathReason = ExecChannel.unavailableReason();
        } else {
            pathReason = "the command channel opens after the first command";
        }
    }

    /**
     * The open command channel, or null: then the caller uses the engine's exec, and (unless the channel cannot be
     * had) an open starts in the background, so that a later command takes the channel.
     */
    ExecChannel channel() {
        ExecChannel c = channel;
        if (c != null && c.isOpen()) {
            return c;
        }
        synchronized (this) {
            if (channel != null && !channel.isOpen()) {
                pathReason = "the command channel ended (" + channel.endedWhy() + "); it opens again after the next command";
                log.debug("sandbox {}: commands take the engine's exec: {}", sandboxId, pathReason);
                channel = null;
            }
            if (unavailable || opening || ended || held) {
                return null;
            }
            opening = true;
        }
        Thread t = new Thread(() -> {
            try {
                openChannel();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }, "devs-channel-open-" + sandboxId);
        t.setDaemon(true);
        t.start();
        return null;
    }

    /** Opens the channel now, on the caller's thread (a pool's refill thread); never throws for a channel that cannot open. */
    void openChannelNow() throws InterruptedException {
        synchronized (this) {
            if (unavailable || opening || ended || held || (channel != null && channel.isOpen())) {
                return;
            }
            opening = true;
        }
        openChannel();
    }

    private void openChannel() throws InterruptedException {
        ExecChannel opened = null;
        String why;
        try {
            opened = ExecChannel.open(with.engine(), with.dockerHost(), sandboxId, containerId, CHANNEL_OPEN_TIMEOUT);
            why = "the command channel is open";
        } catch (ExecChannel.Unavailable e) {
            why = "the command channel could not start: " + e.getMessage();
        } catch (InterruptedException e) {
            synchronized (this) {
                opening = false;
                notifyAll();
            }
            throw e;
        }
        synchronized (this) {
            opening = false;
            notifyAll();
            if (opened == null) {
                unavailable = true;
            } else if (ended || held) {
                opened.close();
                return;
            } else {
                channel = opened;
            }
            pathReason = why;
        }
        log.debug("sandbox {}: commands take the {}: {}", sandboxId, opened == null ? "engine's exec" : "command channel", why);
    }

    /**
     * Ends the channel for a checkpoint and keeps it closed until {@link #releaseChannel()}: an open under way (started
     * in the background by an earlier command) is awaited and its agent ended too, since an agent attached to the
     * host's streams in the checkpoint makes gVisor's restore fail (seen: a panic decoding the checkpoint's state).
     * Waits (bounded) until the agent has gone.
     */
    void holdChannel() throws InterruptedException {
        ExecChannel c;
        synchronized (this) {
            held = true;
            long deadline = System.nanoTime() + CHANNEL_OPEN_TIMEOUT.plus(CLOSE_WAIT).toNanos();
            while (opening) {
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    throw new dev.devs.sandbox.SandboxException("the command channel of sandbox " + sandboxId
                            + " was still opening after " + CHANNEL_OPEN_TIMEOUT.plus(CLOSE_WAIT) + "; no checkpoint was taken");
                }
                java.util.concurrent.TimeUnit.NANOSECONDS.timedWait(this, left);
            }
            c = channel;
            channel = null;
        }
        if (c != null) {
            c.closeAndAwait(CLOSE_WAIT);
            pathReason = "the command channel was closed for a checkpoint";
        }
    }

    /** Lets a later command open the channel again after {@link #holdChannel()}. */
    synchronized void releaseChannel() {
        held = false;
    }

    /** {@value #EXEC_PATH} and {@value #EXEC_PATH_REASON} as they are now. */
    java.util.Map<String, String> pathAttributes() {
        ExecChannel c = channel;
        boolean onChannel = c != null && c.isOpen();
        return java.util.Map.of(EXEC_PATH, onChannel ? "channel" : "engine", EXEC_PATH_REASON,
                onChannel || c == null ? pathReason : "the command channel ended (" + c.endedWhy() + ")");
    }

    /** A process of this surface, told when the sandbox ends. */
    interface Member {
        void sandboxEnded();
    }

    /** Through the command channel when it is open, else through the engine's exec. */
    SandboxProcess start(ExecSpec spec) throws InterruptedException {
        ensureRunning(spec.command());
        ExecChannel ch = channel();
        if (ch != null) {
            try {
                return ChannelProcess.start(this, ch, spec);
            } catch (java.io.IOException e) {
                // The channel ended before the start went out: nothing ran, so the engine's exec runs it.
                log.debug("sandbox {}: the command channel ended before {} started ({}); the engine's exec runs it",
                        sandboxId, spec.command(), e.getMessage());
            }
        }
        return DockerProcess.start(this, spec, false, 0, 0);
    }

    SandboxTerminal openTerminal(ExecSpec spec, int columns, int rows) throws InterruptedException {
        return DockerProcess.start(this, spec, true, columns, rows);
    }

    ContainerFiles files() {
        return files;
    }

    SandboxEndpoint endpoint(int port) {
        if (!ports.contains(port)) {
            throw new IllegalArgumentException("port " + port + " is not declared for sandbox " + sandboxId + " (ports " + ports + ")");
        }
        return relays.endpoint(port);
    }

    /** Creates an exec for the spec, attached to all three streams (stdin too, so that it can be written and closed). */
    String createExec(ExecSpec spec, boolean tty) throws InterruptedException {
        ensureRunning(spec.command());
        List<String> vars = spec.env().entrySet().stream().map(e -> e.getKey() + "=" + e.getValue()).toList();
        try {
            return with.engine().request(c -> {
                var create = c.execCreateCmd(containerId)
                        .withCmd(spec.command().toArray(String[]::new))
                        .withAttachStdout(true)
                        .withAttachStderr(true)
                        .withAttachStdin(true)
                        .withTty(tty);
                if (!vars.isEmpty()) {
                    create.withEnv(vars);
                }
                if (spec.workingDir() != null) {
                    create.withWorkingDir(spec.workingDir());
                }
                return create.exec().getId();
            });
        } catch (NotFoundException e) {
            throw failed(spec.command(), true, e);
        } catch (RuntimeException e) {
            throw failed(spec.command(), EngineErrorClassifier.isNotRunning(e), e);
        }
    }

    private void ensureRunning(List<String> command) {
        if (ended) {
            throw new SandboxExecException(sandboxId, "sandbox " + sandboxId + " has ended, so " + command + " cannot run in it");
        }
    }

    SandboxExecException failed(List<String> command, boolean notRunning, Exception cause) {
        if (notRunning) {
            return new SandboxExecException(sandboxId, "sandbox " + sandboxId + " is not running (it has ended), so " + command
                    + " cannot run in it: " + cause.getMessage(), cause);
        }
        return new SandboxExecException(sandboxId, "starting " + command + " in sandbox " + sandboxId + " failed: "
                + cause.getMessage(), cause);
    }

    SandboxExecException endedBefore(String execId) {
        return new SandboxExecException(sandboxId, "sandbox " + sandboxId + " has ended, and process " + execId
                + " with it, before its exit code was known");
    }

    void register(Member p) {
        processes.add(p);
        if (ended) {
            p.sandboxEnded();
        }
    }

    void unregister(Member p) {
        processes.remove(p);
    }

    boolean isEnded() {
        return ended;
    }

    /** The sandbox has stopped: its processes ended with it; their handles and the port listeners say so now. */
    void end() {
        ended = true;
        ExecChannel c = channel;
        if (c != null) {
            c.close(); // the agent kills what it started; the container goes anyway
        }
        relays.close();
        for (Member p : processes) {
            p.sandboxEnded();
        }
        processes.clear();
    }

    EngineCalls engine() {
        return with.engine();
    }

    ExecRunner execs() {
        return with.execs();
    }

    ExecKiller killer() {
        return with.killer();
    }

    String dockerHost() {
        return with.dockerHost();
    }

    String sandboxId() {
        return sandboxId;
    }

    String containerId() {
        return containerId;
    }
}
