package dev.devs.sandbox.webcontainer;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * Whether Chromium can keep its own sandbox, which confines each renderer (where the WebContainer's code runs)
 * with namespaces and seccomp. {@code --no-sandbox} is used only when Chromium would refuse to start otherwise:
 * as root (Chromium will not sandbox a root browser) or where unprivileged user namespaces are off (its
 * namespace sandbox needs them, and Debian's package ships no setuid helper). The driver logs the reason when
 * it drops the sandbox; see docs/security/isolation.md.
 *
 * @param sandboxed   true to launch with Chromium's sandbox
 * @param reason      why {@code --no-sandbox} is needed, or why the sandbox is kept
 */
record ChromiumSandbox(boolean sandboxed, String reason) {

    static final String NO_SANDBOX = "--no-sandbox";

    /** The decision for this process on this machine. */
    static ChromiumSandbox forThisProcess() {
        return decide(effectiveUid(), userNamespacesAvailable());
    }

    /** The rule itself, for tests: {@code uid} -1 when unknown (not Linux). */
    static ChromiumSandbox decide(long uid, boolean userNamespaces) {
        if (uid == 0) {
            return new ChromiumSandbox(false, "the JVM runs as root, and Chromium refuses to sandbox a root browser");
        }
        if (!userNamespaces) {
            return new ChromiumSandbox(false, "unprivileged user namespaces are disabled on this machine"
                    + " (kernel.unprivileged_userns_clone or user.max_user_namespaces), which Chromium's sandbox needs");
        }
        return new ChromiumSandbox(true, "not root, and unprivileged user namespaces are available");
    }

    /** The flags to add to {@link Browser#FLAGS}. */
    List<String> flags() {
        return sandboxed ? List.of() : List.of(NO_SANDBOX);
    }

    private static long effectiveUid() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (line.startsWith("Uid:")) {
                    return Long.parseLong(line.split("\\s+")[2]);
                }
            }
        } catch (IOException | RuntimeException e) {
            // not Linux, or /proc not mounted: assume unprivileged
        }
        return -1;
    }

    static boolean userNamespacesAvailable() {
        return readLong("/proc/sys/user/max_user_namespaces", 1) > 0
                && readLong("/proc/sys/kernel/unprivileged_userns_clone", 1) == 1;
    }

    private static long readLong(String path, long absent) {
        try {
            return Long.parseLong(Files.readString(Path.of(path)).strip());
        } catch (IOException | RuntimeException e) {
            return absent;
        }
    }
}
