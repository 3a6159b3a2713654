package dev.devs.sandbox.webcontainer;

import dev.devs.sandbox.internal.BoundedCalls;
import dev.devs.sandbox.internal.DaemonThreads;
import dev.devs.sandbox.webcontainer.internal.Waits;
import dev.devs.sandbox.webcontainer.internal.cdp.CdpConnection;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Deque;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One headless Chromium process with its own fresh profile directory and the DevTools connection to it.
 * {@link #close()} ends it by its PID (and whatever children it still has) and deletes the profile.
 */
final class Browser implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(Browser.class);
    private static final Pattern DEVTOOLS_LINE = Pattern.compile("DevTools listening on (ws://\\S+)");
    private static final int STDERR_TAIL_LINES = 20;
    static final String PROFILE_PREFIX = "devs-chromium-profile-";
    private static final Duration TERM_GRACE = Duration.ofSeconds(3);
    private static final Duration KILL_WAIT = Duration.ofSeconds(5);
    private static final Duration CHILD_POLL = Duration.ofMillis(10);
    private static final Duration DELETE_RETRY = Duration.ofMillis(50);
    private static final Duration DELETE_TIMEOUT = Duration.ofMillis(250);
    static final String TMP_PREFIX = "devs-chromium-tmp-";
    /** The longest Unix socket path: {@code sun_path} holds 108 bytes including the terminating NUL. */
    private static final int SOCKET_PATH_MAX = 107;
    /** What Chromium appends to TMPDIR for its singleton socket (the X's are random). */
    private static final String SINGLETON_SOCKET = "/org.chromium.Chromium.XXXXXX/SingletonSocket";

    /**
     * The flags a headless Chromium needs to launch reliably in a container: headless, nothing that phones home or
     * runs in the background. {@code --no-sandbox} is not among them: {@link ChromiumSandbox} adds it only where
     * Chromium cannot sandbox itself.
     */
    static final List<String> FLAGS = List.of(
            "--headless",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--no-default-browser-check",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            // Containers often give /dev/shm 64 MB; Chromium crashes renderers when it runs out.
            "--disable-dev-shm-usage",
            "--remote-debugging-port=0");

    /**
     * {@code sh -c SCRIPT name chromium args...}: runs Chromium with stdin {@code /dev/null}, forwards SIGTERM to it,
     * SIGKILLs it when the script's own stdin reaches end of file (the owner closed it, or died), exits with its status.
     */
    static final String OWNER_WATCHDOG = String.join("\n",
            "exec 3<&0 0</dev/null",
            "\"$@\" 3<&- &",
            "c=$!",
            "( cat <&3 >/dev/null 2>&1; kill -KILL $c 2>/dev/null ) &",
            "w=$!",
            "exec 3<&-",
            "trap 'kill -TERM $c 2>/dev/null' TERM INT HUP",
            "while :; do wait $c; s=$?; kill -0 $c 2>/dev/null || break; done",
            "kill $w 2>/dev/null",
            "exit $s");

    /** The watchdog: the process this JVM started, and the parent of {@link #chromium}. */
    private final Process process;
    private final ProcessHandle chromium;
    private final Path profileDir;
    private final Path ownTmpDir;
    private final CdpConnection cdp;
    private final long readyNanos;
    private final Deque<String> stderrTail;
    private final Thread shutdownHook;
    private boolean closed;

    private Browser(Process process, Path profileDir, Path ownTmpDir, CdpConnection cdp, Deque<String> stderrTail) {
        this.process = process;
        this.chromium = chromiumOf(process);
        this.profileDir = profileDir;
        this.ownTmpDir = ownTmpDir;
        this.cdp = cdp;
        this.stderrTail = stderrTail;
        this.readyNanos = System.nanoTime();
        // A JVM that exits without closing its driver must not leave a browser behind.
        this.shutdownHook = new Thread(this::destroyNow, "webcontainer-browser-" + process.pid() + "-shutdown");
        Runtime.getRuntime().addShutdownHook(shutdownHook);
    }

    /** Why a launch failed, with the browser's last stderr lines; the driver turns it into a start failure. */
    static final class LaunchException extends Exception {
        private static final long serialVersionUID = 1L;

        LaunchException(String message, Throwable cause) {
            super(message, cause);
        }
    }

    /**
     * Starts Chromium and connects to its DevTools socket, waiting at most {@code timeout}. On failure nothing
     * is left: the process is killed and the profile directory deleted.
     *
     * @param profileParent where to create the profile directory; null for the system temp directory
     */
    static Browser launch(Path chrome, Duration timeout, Path profileParent) throws LaunchException, InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        Path profile;
        try {
            profile = profileParent == null ? Files.createTempDirectory(PROFILE_PREFIX)
                    : Files.createTempDirectory(profileParent, PROFILE_PREFIX);
        } catch (IOException e) {
            throw new LaunchException("cannot create a profile directory for Chromium: " + e, e);
        }
        // Chromium runs under a small sh watchdog that SIGKILLs it (its children follow) when its stdin, a pipe this
        // JVM holds open and never writes, ends: so a JVM killed with SIGKILL, which runs no hook, leaves no browser.
        List<String> command = new ArrayList<>(List.of("/bin/sh", "-c", OWNER_WATCHDOG, "chromium-watchdog"));
        command.add(chrome.toString());
        command.addAll(FLAGS);
        ChromiumSandbox sandbox = ChromiumSandbox.forThisProcess();
        if (sandbox.sandboxed()) {
            log.debug("launching Chromium with its sandbox: {}", sandbox.reason());
        } else {
            log.info("launching Chromium with --no-sandbox: {}; each renderer is then confined only by the browser's"
                    + " process model (see docs/security/isolation.md)", sandbox.reason());
        }
        command.addAll(sandbox.flags());
        command.add("--user-data-dir=" + profile);
        command.add("about:blank");
        Process process;
        Path ownTmp = null;
        try {
            // Chromium puts its singleton socket (and, with --disable-dev-shm-usage, shared memory) under TMPDIR and
            // leaves it there when killed: keep it inside the profile, which close() deletes. Unless the socket's path
            // would be too long for a Unix socket (Chromium then aborts at launch): a deep temp directory, as on CI
            // or macOS, gets a short TMPDIR of its own in /tmp, deleted with the profile.
            Path tmp = profile.resolve("tmp");
            if ((tmp + SINGLETON_SOCKET).getBytes(StandardCharsets.UTF_8).length <= SOCKET_PATH_MAX) {
                Files.createDirectory(tmp);
            } else {
                ownTmp = Files.createTempDirectory(Path.of("/tmp"), TMP_PREFIX);
                tmp = ownTmp;
            }
            ProcessBuilder builder = new ProcessBuilder(command)
                    .redirectOutput(ProcessBuilder.Redirect.DISCARD); // stdin stays a pipe: the owner's link
            builder.environment().put("TMPDIR", tmp.toString());
            process = builder.start();
        } catch (IOException e) {
            deleteTree(profile);
            deleteTree(ownTmp);
            throw new LaunchException("cannot start Chromium at " + chrome + ": " + e.getMessage(), e);
        }
        Deque<String> tail = new ArrayDeque<>();
        CompletableFuture<URI> address = new CompletableFuture<>();
        DaemonThreads.named("chromium-" + process.pid() + "-stderr").newThread(() -> drainStderr(process, tail, address)).start();
        try {
            URI ws = BoundedCalls.await(address, Duration.ofNanos(remaining(deadline)));
            CdpConnection cdp = CdpConnection.connect(ws, Duration.ofNanos(Math.max(remaining(deadline), 1_000_000)));
            log.info("launched Chromium pid {} (profile {}) with DevTools at {}", process.pid(), profile, ws);
            return new Browser(process, profile, ownTmp, cdp, tail);
        } catch (TimeoutException | ExecutionException | RuntimeException | InterruptedException e) {
            kill(process);
            deleteTree(profile);
            deleteTree(ownTmp);
            if (e instanceof InterruptedException interrupted) {
                throw interrupted;
            }
            if (e instanceof TimeoutException) {
                throw new LaunchException("Chromium at " + chrome + " (pid " + process.pid() + ") did not print its DevTools"
                        + " address within " + timeout + "; last stderr lines:" + format(tail), e);
            }
            if (e instanceof ExecutionException) {
                throw new LaunchException(e.getCause().getMessage() + "; last stderr lines:" + format(tail), e.getCause());
            }
            throw new LaunchException("cannot connect to Chromium's DevTools socket: " + e.getMessage(), e);
        }
    }

    private static void drainStderr(Process process, Deque<String> tail, CompletableFuture<URI> address) {
        try (BufferedReader in = new BufferedReader(new InputStreamReader(process.getErrorStream(), StandardCharsets.UTF_8))) {
            String line;
            while ((line = in.readLine()) != null) {
                synchronized (tail) {
                    if (tail.size() == STDERR_TAIL_LINES) {
                        tail.removeFirst();
                    }
                    tail.addLast(line);
                }
                if (!address.isDone()) {
                    Matcher m = DEVTOOLS_LINE.matcher(line);
                    if (m.find()) {
                        address.complete(URI.create(m.group(1)));
                    }
                }
                log.trace("chromium {}: {}", process.pid(), line);
            }
        } catch (IOException e) {
            log.trace("reading Chromium's stderr ended: {}", e.toString());
        }
        if (!address.isDone()) {
            // The stream ended before the DevTools line: the process is exiting. Wait briefly to name its exit code.
            String code;
            try {
                code = process.waitFor(2, TimeUnit.SECONDS) ? String.valueOf(process.exitValue()) : "unknown (still running)";
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                code = "unknown";
            }
            address.completeExceptionally(new IllegalStateException("Chromium (pid " + process.pid()
                    + ") exited with code " + code + " before printing its DevTools address"));
        }
    }

    CdpConnection cdp() {
        return cdp;
    }

    /** Chromium's own pid (not its watchdog's). */
    long pid() {
        return chromium.pid();
    }

    /** Chromium's own process (not its watchdog's): killing it ends this browser, as an operator would expect. */
    ProcessHandle processHandle() {
        return chromium;
    }

    /** The watchdog's child that is not a shell: Chromium (Debian's launcher script execs it in the same process). */
    private static ProcessHandle chromiumOf(Process watchdog) {
        String shell = watchdog.info().command().orElse("/bin/sh");
        return watchdog.children().filter(c -> !c.info().command().orElse(shell).equals(shell)).findFirst()
                .orElse(watchdog.toHandle());
    }

    Path profileDir() {
        return profileDir;
    }

    /** The TMPDIR Chromium was given: inside the profile, or a short directory of its own when that path was too long. */
    Path tmpDir() {
        return ownTmpDir != null ? ownTmpDir : profileDir.resolve("tmp");
    }

    /** {@link System#nanoTime()} when this browser became usable. */
    long readyNanos() {
        return readyNanos;
    }

    /** Whether the process runs and its DevTools socket is open. */
    boolean isAlive() {
        return process.isAlive() && cdp.isOpen();
    }

    /** The last lines Chromium wrote to stderr, for error messages. */
    String stderrTail() {
        synchronized (stderrTail) {
            return format(stderrTail);
        }
    }

    /**
     * Ends the browser: closes the socket, sends SIGTERM to its PID, waits, then SIGKILL; kills any child left
     * over; deletes the profile directory. Idempotent.
     */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        destroyNow();
        try {
            Runtime.getRuntime().removeShutdownHook(shutdownHook);
        } catch (IllegalStateException e) {
            // The JVM is already shutting down; the hook runs (or ran) and finds nothing left to do.
        }
    }

    private void destroyNow() {
        long t0 = System.nanoTime();
        cdp.close();
        // Children are found through the parent: take the list before the parent goes.
        List<ProcessHandle> children = process.descendants().toList();
        boolean wasAlive = process.isAlive();
        process.destroy();
        try {
            if (!process.waitFor(TERM_GRACE.toMillis(), TimeUnit.MILLISECONDS)) {
                log.warn("Chromium pid {} did not exit within {} of SIGTERM; killing it", process.pid(), TERM_GRACE);
                closeStdin(process); // the watchdog SIGKILLs Chromium
                process.destroyForcibly();
                process.waitFor(KILL_WAIT.toMillis(), TimeUnit.MILLISECONDS);
            }
            for (ProcessHandle child : children) {
                if (isRunning(child)) {
                    child.destroyForcibly();
                }
            }
            Waits.poll(CHILD_POLL, KILL_WAIT, () -> children.stream().noneMatch(Browser::isRunning));
            children.stream().filter(Browser::isRunning).forEach(c -> log.warn("child pid {} of Chromium pid {} did not exit within {}",
                    c.pid(), process.pid(), KILL_WAIT));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            closeStdin(process);
            process.destroyForcibly();
        }
        closeStdin(process);
        deleteTree(profileDir);
        deleteTree(ownTmpDir);
        log.info("Chromium pid {} {} and its profile {} removed in {} ms", process.pid(),
                wasAlive ? "ended" : "had already exited", profileDir, (System.nanoTime() - t0) / 1_000_000);
    }

    /**
     * Whether a process still runs. A zombie does not: Chromium's children outlive their parent only as zombies
     * handed to PID 1, which may reap them late (a second here), while {@link ProcessHandle#isAlive()} still
     * counts them.
     */
    static boolean isRunning(ProcessHandle process) {
        if (!process.isAlive()) {
            return false;
        }
        try {
            String stat = Files.readString(Path.of("/proc/" + process.pid() + "/stat"));
            int end = stat.lastIndexOf(')');
            char state = end >= 0 && end + 2 < stat.length() ? stat.charAt(end + 2) : 'R';
            return state != 'Z' && state != 'X';
        } catch (IOException e) {
            return process.isAlive(); // no procfs (not Linux) or already gone
        }
    }

    /** Ends the owner's link: the watchdog SIGKILLs Chromium if it still runs. */
    private static void closeStdin(Process process) {
        try {
            process.getOutputStream().close();
        } catch (IOException e) {
            // Already closed: the watchdog has its end of file.
        }
    }

    private static void kill(Process process) {
        closeStdin(process); // before the watchdog goes, so that it takes Chromium with it
        process.destroyForcibly();
        try {
            process.waitFor(KILL_WAIT.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Deletes {@code dir} and everything in it; nothing for null. */
    static void deleteTree(Path dir) {
        if (dir == null) {
            return;
        }
        // Retried: a dying Chromium child may still write a file or two into its profile.
        String[] problem = {null};
        boolean deleted;
        try {
            deleted = Waits.poll(DELETE_RETRY, DELETE_TIMEOUT, () -> tryDelete(dir, problem));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt(); // the caller's to handle: this still tries once more, without waiting
            deleted = tryDelete(dir, problem);
        }
        if (!deleted) {
            log.warn("cannot delete Chromium profile {}; left behind: {}", dir, problem[0]);
        }
    }

    private static boolean tryDelete(Path dir, String[] problem) {
        try (Stream<Path> paths = Files.walk(dir)) {
            for (Path p : paths.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
            return true;
        } catch (NoSuchFileException e) {
            return true;
        } catch (IOException | UncheckedIOException e) {
            problem[0] = e.toString();
            return false;
        }
    }

    private static long remaining(long deadline) {
        return Math.max(0, deadline - System.nanoTime());
    }

    private static String format(Deque<String> lines) {
        synchronized (lines) {
            if (lines.isEmpty()) {
                return " (none)";
            }
            StringBuilder sb = new StringBuilder();
            for (String l : lines) {
                sb.append("\n  ").append(l);
            }
            return sb.toString();
        }
    }
}
