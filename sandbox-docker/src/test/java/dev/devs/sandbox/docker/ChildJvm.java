package dev.devs.sandbox.docker;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/** A child JVM on the test classpath, started and killed by PID. Its stderr goes to a file for the failure message. */
final class ChildJvm implements AutoCloseable {

    final Process process;
    private final BufferedReader out;
    private final Path errors;

    private ChildJvm(Process process, Path errors) {
        this.process = process;
        this.errors = errors;
        this.out = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
    }

    static ChildJvm start(Class<?> main, String... args) throws IOException {
        List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", System.getProperty("java.class.path"), "-Xmx128m", main.getName()));
        command.addAll(List.of(args));
        Path errors = java.nio.file.Files.createTempFile("child-jvm-", ".err");
        Process p = new ProcessBuilder(command).redirectError(errors.toFile()).start();
        p.getOutputStream().close();
        return new ChildJvm(p, errors);
    }

    /** Waits for a line starting with {@code prefix} on the child's stdout; fails with its stderr if it exits first. */
    String awaitLine(String prefix, Duration timeout) throws Exception {
        CompletableFuture<String> line = CompletableFuture.supplyAsync(() -> {
            try {
                for (String l; (l = out.readLine()) != null; ) {
                    if (l.startsWith(prefix)) {
                        return l;
                    }
                }
                return null;
            } catch (IOException e) {
                return null;
            }
        });
        String l;
        try {
            l = line.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (java.util.concurrent.TimeoutException e) {
            l = null;
        }
        if (l == null) {
            throw new AssertionError("child JVM did not print '" + prefix + "' within " + timeout + "; its stderr:\n" + stderr());
        }
        return l;
    }

    String stderr() {
        try {
            return java.nio.file.Files.readString(errors);
        } catch (IOException e) {
            return "(unreadable: " + e + ")";
        }
    }

    /** SIGKILL: no hook runs. Waits until it is gone. */
    void kill9() throws InterruptedException {
        process.toHandle().destroyForcibly();
        process.waitFor(10, TimeUnit.SECONDS);
    }

    @Override
    public void close() throws Exception {
        if (process.isAlive()) {
            kill9();
        }
        java.nio.file.Files.deleteIfExists(errors);
    }
}
