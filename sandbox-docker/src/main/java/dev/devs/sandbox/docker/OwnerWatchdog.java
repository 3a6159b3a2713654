package dev.devs.sandbox.docker;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * The small POSIX shell script every sandbox's main command runs under, so that a sandbox ends itself when
 * its owner is gone, with no process outside the engine to do it (see docs/security/sandbox-ownership.md).
 *
 * <p>The container is created with an open stdin that the engine closes when the one attached client (the
 * owning JVM's {@link OwnerLink}) disconnects, and with {@code AutoRemove}. The script
 * <ol>
 *   <li>fails at once, exit 127, when there is no command or its program cannot be found, before it says it
 *       started (so such a start never reports READY);</li>
 *   <li>starts the command (stdin {@code /dev/null}, as without the script) in a child that {@code exec}s it, forwards
 *       SIGTERM/SIGINT/SIGHUP to it, waits until the child's {@code /proc/<pid>/cmdline} is the command's (or at least no longer the
 *       script's own nor a prefix of it: the kernel changes it at {@code execve}, so the program now exists and
 *       {@code pidof} finds it), and prints
 *       {@link #STARTED_MARKER} on stdout only if the program is then still running (an ended child's cmdline is empty or gone), so
 *       that READY never comes before the program exists (docs/design.md, "What READY promises"). Where it cannot read
 *       its own cmdline it says "started" once the child is forked, as before;</li>
 *   <li>SIGKILLs the command when its stdin reaches end of file (the owner closed the link, or its process
 *       died: the kernel closes its sockets) or when the maximum lifetime has passed;</li>
 *   <li>prints {@link #EXIT_MARKER} and the command's status once it has ended, and exits with that status. The engine's init (PID 1) then exits, the kernel
 *       kills whatever else runs in the sandbox's PID namespace, and the engine removes the container and its
 *       anonymous volumes.</li>
 * </ol>
 * Needs {@code /bin/sh} in the image; an image without it fails its start with a message saying so.
 */
final class OwnerWatchdog {

    /** The line the script prints once the command has been started. */
    static final String STARTED_MARKER = "devs-sandbox: command started";
    /** The start of the line the script prints when the command has ended, followed by its exit status. */
    static final String EXIT_MARKER = "devs-sandbox: command exited with status ";
    /** Exit status of a start refused by the script (no command, program not found), as a shell reports it. */
    static final int EXIT_NOT_FOUND = 127;
    /** The shell the script needs. */
    static final String SHELL = "/bin/sh";

    // $1: maximum lifetime in seconds; $2...: the command. fd 3 keeps the owner's stdin for the watcher only.
    // One line, so that a process listing inside the sandbox shows it as one process, not a page of script.
    static final String SCRIPT = String.join(" ",
            "lifetime=$1; shift;",
            "[ $# -gt 0 ] || { echo 'devs-sandbox: no command to run: the spec gives none and the image defines none' >&2; echo '" + EXIT_MARKER + "127'; exit 127; };",
            "command -v \"$1\" >/dev/null 2>&1 || { echo \"devs-sandbox: command not found: $1\" >&2; echo '" + EXIT_MARKER + "127'; exit 127; };",
            "exec 3<&0 0</dev/null;",
            "(exec \"$@\") 3<&- &",
            "c=$!;",
            "trap 'kill -TERM $c 2>/dev/null' TERM INT HUP;",
            // The look for the exec uses shell builtins only (read, kill, [, case): a fork per look failed the whole
            // sandbox on gVisor under a pids limit, where the runtime's own threads count against it. read drops the
            // NUL separators. Until the child execs, its cmdline is the script's own, or a prefix of it (busybox's
            // shell writes into its argv while it parses), or empty for a moment during execve; a zombie's is empty.
            "me=; IFS= read -r me 2>/dev/null </proc/$$/cmdline;",
            "want=; for a in \"$@\"; do want=$want$a; done;",
            "x=; while [ -n \"$me\" ] && kill -0 $c 2>/dev/null; do",
            "x=; IFS= read -r x 2>/dev/null </proc/$c/cmdline;",
            "[ \"$x\" = \"$want\" ] && break;",
            "if [ -z \"$x\" ]; then st=; read -r st 2>/dev/null </proc/$c/stat; case \"$st\" in *\") Z \"*|\"\") break;; esac; continue; fi;",
            "case \"$me\" in \"$x\"*) ;; *) break;; esac;",
            "done;",
            "if [ -z \"$me\" ] || { [ -n \"$x\" ] && kill -0 $c 2>/dev/null; }; then echo '" + STARTED_MARKER + "'; fi;",
            "( cat <&3 >/dev/null 2>&1; kill -KILL $c 2>/dev/null ) &",
            "w1=$!;",
            "( sleep \"$lifetime\"; echo \"devs-sandbox: maximum lifetime of ${lifetime}s reached\" >&2; kill -KILL $c 2>/dev/null ) &",
            "w2=$!;",
            "exec 3<&-;",
            "while :; do wait $c; s=$?; kill -0 $c 2>/dev/null || break; done;",
            "kill $w1 $w2 2>/dev/null;",
            "echo \"" + EXIT_MARKER + "$s\";",
            "exit $s");

    private OwnerWatchdog() {
    }

    /** The container's entrypoint: the script with the lifetime, to which the command is appended as {@code Cmd}. */
    static List<String> entrypoint(Duration maxLifetime) {
        // The engine counts whole seconds here too; rounding up never ends a sandbox earlier than asked.
        long seconds = Math.max(1, (maxLifetime.toMillis() + 999) / 1000);
        List<String> e = new ArrayList<>(List.of(SHELL, "-c", SCRIPT, "devs-sandbox", Long.toString(seconds)));
        return List.copyOf(e);
    }
}
