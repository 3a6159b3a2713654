package dev.devs.sandbox.docker;

/** The isolation suite on {@code runc}, the engine's default runtime. */
class RuncIsolationTest extends IsolationSuite {
    @Override
    String runtime() {
        return "runc";
    }
}
