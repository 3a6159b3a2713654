package dev.devs.sandbox;

/**
 * One thing a host can do with a ready sandbox beyond starting and stopping it. A driver publishes the set it
 * supports ({@link dev.devs.sandbox.spi.SandboxDriver#capabilities()}, {@link Sandbox#capabilities()}); calling a
 * method whose capability is missing throws {@link SandboxCapabilityException} before anything is sent to the
 * sandbox, naming the driver and the capability.
 */
public enum SandboxCapability {
    /** {@link Sandbox#exec(String...)}: run a command and collect its output once it has ended. */
    EXEC,
    /** {@link Sandbox#exec(ExecSpec, java.io.OutputStream, java.io.OutputStream)}: output delivered as produced. */
    EXEC_STREAMING,
    /** An {@link ExecSpec} with stdin (bytes or a stream), ended by closing it. */
    EXEC_STDIN,
    /** {@link Sandbox#start(ExecSpec)}: a background process with a handle, its streams and its exit code. */
    PROCESSES,
    /** {@link SandboxProcess#signal(String)} and the kill of a process with its children. */
    SIGNALS,
    /** {@link Sandbox#openTerminal(ExecSpec, int, int)}: a command under a pseudo-terminal, with resize. */
    TERMINAL,
    /** {@link SandboxFiles#read(String)} and {@link SandboxFiles#openRead(String)}. */
    FILE_READ,
    /** {@link SandboxFiles#write(String, byte[])} and {@link SandboxFiles#write(String, java.io.InputStream)}. */
    FILE_WRITE,
    /** {@link SandboxFiles#list(String)} and {@link SandboxFiles#stat(String)}: name, type, size, mode, modified time. */
    FILE_LIST,
    /** {@link SandboxFiles#delete(String, boolean)}, {@link SandboxFiles#mkdirs(String)}, {@link SandboxFiles#rename(String, String)}. */
    FILE_MANAGE,
    /** Trees in and out as tar streams, modes kept: {@link SandboxFiles#copyIn}, {@link SandboxFiles#copyOut}. */
    TREE_COPY,
    /** {@link Sandbox#endpoint(int)}: a declared port reachable from the host. */
    PORTS,
    /** {@link Sandbox#pause()} and {@link Sandbox#resume()}: processes stopped where they are, memory kept. */
    PAUSE,
    /**
     * {@link Sandbox#checkpoint()} and {@link SandboxProvider#fork(SandboxSnapshot)}. A driver that declares it may still
     * refuse one sandbox whose runtime, engine or spec cannot be checkpointed (the Docker driver: only runtime
     * {@code runsc} on an engine with experimental features, no scratch volumes), with the same exception naming what
     * is missing.
     */
    SNAPSHOT
}
