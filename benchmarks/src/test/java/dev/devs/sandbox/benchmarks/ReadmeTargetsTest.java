package dev.devs.sandbox.benchmarks;

import static org.assertj.core.api.Assertions.assertThat;

import dev.devs.sandbox.StartType;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * README states the latency targets for users; {@link LatencyTargets} is where the code takes them from. This
 * keeps the two equal, so that neither can change alone.
 */
class ReadmeTargetsTest {

    private static final Path README = Path.of("..", "README.md");

    // The sentence of "The two commands", whatever the line breaks: "(Docker cold 30 s, Docker warm 10 s, ...)".
    private static final Pattern TARGETS = Pattern.compile(
            "\\(Docker cold (\\d+) s, Docker warm (\\d+) s, WebContainer (\\d+) s, stop (\\d+) s, pooled hand-out (\\d+) ms,"
                    + " customised pooled hand-out (\\d+) ms\\)");

    @Test
    void readmeStatesTheTargetsOfLatencyTargets() throws IOException {
        assertThat(targetsIn(Files.readString(README))).isEqualTo(expected());
    }

    private static String expected() {
        return seconds(LatencyTargets.provisioning("docker", StartType.COLD).orElseThrow()) + " "
                + seconds(LatencyTargets.provisioning("docker", StartType.WARM).orElseThrow()) + " "
                + seconds(LatencyTargets.provisioning("webcontainer", StartType.WARM).orElseThrow()) + " "
                + seconds(LatencyTargets.stop()) + " "
                + LatencyTargets.provisioning("docker", StartType.POOLED).orElseThrow().toMillis() + " "
                + LatencyTargets.POOLED_CUSTOMISED.toMillis();
    }

    private static String targetsIn(String text) {
        Matcher m = TARGETS.matcher(text.replaceAll("\\s+", " "));
        assertThat(m.find()).as("README's sentence with the targets, matching " + TARGETS.pattern()).isTrue();
        return m.group(1) + " " + m.group(2) + " " + m.group(3) + " " + m.group(4) + " " + m.group(5) + " " + m.group(6);
    }

    private static long seconds(Duration d) {
        return d.toSeconds();
    }
}
