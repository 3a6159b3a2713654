package dev.devs.sandbox.tck;

import dev.devs.sandbox.SandboxCapability;
import dev.devs.sandbox.SandboxSpec;
import dev.devs.sandbox.spi.SandboxDriver;
import dev.devs.sandbox.spi.StartContext;
import java.util.Set;

/**
 * A driver that passes every call through to a real one, and each handle it starts or forks through
 * {@link #wrap}: the base of the contract's wrappers, which watch or fault a few calls and must leave the rest
 * exactly as the driver under test does them.
 */
abstract class ForwardingDriver implements SandboxDriver {

    final SandboxDriver delegate;

    ForwardingDriver(SandboxDriver delegate) {
        this.delegate = delegate;
    }

    /** The handle the contract's provider gets for {@code handle}, the driver's own, of sandbox {@code sandboxId}. */
    abstract Handle wrap(Handle handle, String sandboxId);

    @Override
    public String name() {
        return delegate.name();
    }

    @Override
    public void validate(SandboxSpec spec) {
        delegate.validate(spec);
    }

    @Override
    public Set<SandboxCapability> capabilities() {
        return delegate.capabilities();
    }

    @Override
    public Handle start(SandboxSpec spec, StartContext context) throws InterruptedException {
        return wrap(delegate.start(spec, context), context.sandboxId());
    }

    @Override
    public Handle fork(SandboxSpec spec, Checkpoint checkpoint, StartContext context) throws InterruptedException {
        return wrap(delegate.fork(spec, checkpoint, context), context.sandboxId());
    }

    @Override
    public void removeOrphans() {
        delegate.removeOrphans();
    }

    @Override
    public void close() {
        delegate.close();
    }
}
