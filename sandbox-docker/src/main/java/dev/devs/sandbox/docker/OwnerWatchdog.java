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
 *   <li>on SIGUSR1 stops every process of the sandbox but its own (pause), on SIGUSR2 lets them run on (resume),
 *       saying so on stdout; its watchers are never stopped, so a paused sandbox still ends as below;</li>
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

    /** The line the script prints once every process but its own is stopped, after SIGUSR1 ({@link #PAUSE_SIGNAL}). */
    static final String PAUSED_MARKER = "devs-sandbox: paused";
    /** The line the script prints when some process would not stop (it gave up after {@code 500} passes). */
    static final String PAUSE_FAILED_MARKER = "devs-sandbox: pause failed";
    /** The line the script prints once the processes it stopped were let run on, after {@link #RESUME_SIGNAL}. */
    static final String RESUMED_MARKER = "devs-sandbox: resumed";
    /** The line the script prints once it has restarted its lifetime clock, after {@link #RESTART_LIFETIME_SIGNAL}. */
    static final String LIFETIME_RESTARTED_MARKER = "devs-sandbox: lifetime restarted";
    /**
     * Sent the same way to a sandbox restored from a checkpoint: its lifetime counts from now (its restored clock would
     * end it at its template's), and its answer says the restored watchdog runs and speaks over the new owner's link.
     */
    static final String RESTART_LIFETIME_SIGNAL = "SIGALRM";
    /** The line the script prints once it has ended its lifetime watcher, after {@link #SUSPEND_LIFETIME_SIGNAL}. */
    static final String LIFETIME_SUSPENDED_MARKER = "devs-sandbox: lifetime suspended";
    /**
     * Sent right before a checkpoint (which ends the sandbox): the lifetime watcher is ended, so that none is in the
     * checkpoint to fire on a restored clock before the fork's own is started ({@link #RESTART_LIFETIME_SIGNAL}).
     */
    static final String SUSPEND_LIFETIME_SIGNAL = "SIGVTALRM";
    /** Sent by the engine to the init, which forwards it to the script: stop every process but the script's own. */
    static final String PAUSE_SIGNAL = "SIGUSR1";
    /** Sent the same way: continue what the pause stopped. */
    static final String RESUME_SIGNAL = "SIGUSR2";

    // $1: maximum lifetime in seconds; $2...: the command. fd 3 keeps the owner's stdin for the watcher only.
    // One line, so that a process listing inside the sandbox shows it as one process, not a page of script.
    //
    // Pause (USR1, trap "hold"): SIGSTOP every process of the sandbox except the init (1), the script ($$), its two
    // watchers ($w1: owner's stdin, $w2: lifetime) and their children (cat, sleep), found by reading /proc/N/stat
    // with built-ins only (a fork would be a process to stop); again until a pass finds nothing running, since a
    // process may fork between the read and the signal. The watchers are never stopped, so a paused sandbox still
    // ends with its owner and at its lifetime: SIGKILL ends a stopped process (a frozen cgroup's would wait for the
    // thaw, see docs/decisions/0014-pause-stops-processes-not-the-cgroup.md). Resume (USR2, "release") sends SIGCONT
    // to what the pause stopped. SIGTERM forwards to the command and releases it, so a paused sandbox stops politely.
    static final String SCRIPT = String.join(" ",
            "lifetime=$1; shift;",
            "[ $# -gt 0 ] || { echo 'devs-sandbox: no command to run: the spec gives none and the image defines none' >&2; echo '" + EXIT_MARKER + "127'; exit 127; };",
            "command -v \"$1\" >/dev/null 2>&1 || { echo \"devs-sandbox: command not found: $1\" >&2; echo '" + EXIT_MARKER + "127'; exit 127; };",
            "held=;",
            "hold() { hn=0; hm=1; while [ -n \"$hm\" ] && [ $hn -lt 500 ]; do hn=$((hn+1)); hm=;",
            "for hd in /proc/[0-9]*; do hp=${hd#/proc/}; case \" 1 $$ $w1 $w2 \" in *\" $hp \"*) continue;; esac;",
            "hs=; read -r hs 2>/dev/null <\"$hd/stat\" || continue; hs=${hs##*) }; hr=${hs#* }; hs=${hs%% *};",
            "case \" $w1 $w2 \" in *\" ${hr%% *} \"*) continue;; esac; case $hs in T|t|Z|X|x) continue;; esac;",
            "kill -STOP $hp 2>/dev/null || continue; hm=1; case \" $held \" in *\" $hp \"*) ;; *) held=\"$held $hp\";; esac;",
            "done; done;",
            "if [ -z \"$hm\" ]; then echo '" + PAUSED_MARKER + "'; else echo '" + PAUSE_FAILED_MARKER + "'; fi; };",
            "release() { for hp in $held; do kill -CONT $hp 2>/dev/null; done; held=; };",
            "exec 3<&0 0</dev/null;",
            "(exec \"$@\") 3<&- &",
            "c=$!;",
            "trap 'kill -TERM $c 2>/dev/null; release' TERM INT HUP;",
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
            "ok=; if [ -z \"$me\" ] || { [ -n \"$x\" ] && kill -0 $c 2>/dev/null; }; then ok=1; fi;",
            "( cat <&3 >/dev/null 2>&1; kill -KILL $c 2>/dev/null ) &",
            "w1=$!;",
            "( sleep \"$lifetime\"; echo \"devs-sandbox: maximum lifetime of ${lifetime}s reached\" >&2; kill -KILL $c 2>/dev/null ) &",
            "w2=$!;",
            "exec 3<&-;",
            "trap 'hold' USR1;",
            "trap 'release; echo \"" + RESUMED_MARKER + "\"' USR2;",
            "trap 'kill $w2 2>/dev/null; ( sleep \"$lifetime\"; echo \"devs-sandbox: maximum lifetime of ${lifetime}s reached\" >&2; kill -KILL $c 2>/dev/null ) & w2=$!; echo \"" + LIFETIME_RESTARTED_MARKER + "\"' ALRM;",
            "trap 'kill $w2 2>/dev/null; w2=; echo \"" + LIFETIME_SUSPENDED_MARKER + "\"' VTALRM;",
            // Said only now that the pause and lifetime traps are set (a pause right after READY must find them), and
            // only if the look above saw the program exec'd and running.
            "if [ -n \"$ok\" ]; then echo '" + STARTED_MARKER + "'; fi;",
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
