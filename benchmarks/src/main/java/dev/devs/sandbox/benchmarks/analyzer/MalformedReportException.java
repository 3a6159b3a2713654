package dev.devs.sandbox.benchmarks.analyzer;

/** The report cannot be analysed; the message is the one-line reason printed with exit code 2. */
final class MalformedReportException extends Exception {
    private static final long serialVersionUID = 1L;

    MalformedReportException(String reason) {
        super(reason);
    }
}
