package dev.devs.sandbox;

import dev.devs.sandbox.spi.SandboxDriver;
import java.util.function.BooleanSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** The background sweep a new provider runs for what dead owners left ({@link SandboxDriver#removeOrphans()}). */
final class OrphanSweep {

    private static final Logger log = LoggerFactory.getLogger(OrphanSweep.class);

    private OrphanSweep() {
    }

    /** Runs the driver's sweep; a failure is logged unless the provider closed meanwhile. */
    static void run(SandboxDriver driver, BooleanSupplier providerClosed) {
        try {
            driver.removeOrphans();
        } catch (RuntimeException e) {
            if (!providerClosed.getAsBoolean()) {
                log.warn("removing what dead owners left ({} driver) failed; the next provider tries again", driver.name(), e);
            }
        }
    }
}
