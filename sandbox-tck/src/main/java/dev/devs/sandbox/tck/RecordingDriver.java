package dev.devs.sandbox.tck;

import dev.devs.sandbox.spi.SandboxDriver;
import java.util.List;

/**
 * A driver that forwards to a real one and writes down every working-surface call that reaches a sandbox's handle,
 * so that the contract can see a refused capability reached nothing.
 */
final class RecordingDriver extends ForwardingDriver {

    private final List<String> reached;

    RecordingDriver(SandboxDriver real, List<String> reached) {
        super(real);
        this.reached = reached;
    }

    @Override
    Handle wrap(Handle handle, String sandboxId) {
        return new Recording(handle);
    }

    private final class Recording extends ForwardingHandle {

        Recording(Handle h) {
            super(h);
        }

        @Override
        void reaching(String call) {
            synchronized (reached) {
                reached.add(call);
            }
        }
    }
}
