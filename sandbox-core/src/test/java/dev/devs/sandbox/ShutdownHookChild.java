package dev.devs.sandbox;

import dev.devs.sandbox.spi.PhaseRecorder;
import dev.devs.sandbox.spi.SandboxDriver;
import dev.devs.sandbox.spi.StartContext;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.List;

/**
 * The main class of a child JVM: starts three sandboxes on a stand-in driver that appends "stopped <id>" to a
 * file when a sandbox is stopped, leaves its provider open, and calls {@code System.exit(0)}. Arguments: the
 * file, and {@code hook} or {@code nohook} for the provider's shutdown-hook setting.
 */
public final class ShutdownHookChild {

    private ShutdownHookChild() {
    }

    public static void main(String[] args) {
        Path file = Path.of(args[0]);
        SandboxDriver driver = new SandboxDriver() {
            @Override
            public String name() {
                return "stand-in";
            }

            @Override
            public Handle start(SandboxSpec spec, StartContext context) {
                context.startType(StartType.WARM);
                String id = context.sandboxId();
                return new Handle() {
                    @Override
                    public ExecResult exec(List<String> command, Duration timeout) {
                        throw new UnsupportedOperationException("not needed");
                    }

                    @Override
                    public StopOutcome stop(Duration grace, PhaseRecorder phases) {
                        try {
                            Files.writeString(file, "stopped " + id + "\n", StandardOpenOption.CREATE, StandardOpenOption.APPEND);
                        } catch (IOException e) {
                            throw new UncheckedIOException(e);
                        }
                        return StopOutcome.STOPPED;
                    }

                    @Override
                    public boolean isAlive() {
                        return true;
                    }
                };
            }

            @Override
            public void close() {
            }
        };
        SandboxProvider provider = SandboxProvider.builder(driver).shutdownHook(args[1].equals("hook")).build();
        for (int i = 0; i < 3; i++) {
            provider.start(SandboxSpec.builder("img").build());
        }
        System.exit(0);
    }
}
