package dev.devs.sandbox.docker;

/** The isolation suite on {@code runsc} (gVisor), where the engine has it registered. */
class RunscIsolationTest extends IsolationSuite {
    @Override
    String runtime() {
        return "runsc";
    }
}
