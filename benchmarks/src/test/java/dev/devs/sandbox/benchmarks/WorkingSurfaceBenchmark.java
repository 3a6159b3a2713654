package dev.devs.sandbox.benchmarks;

import static dev.devs.sandbox.benchmarks.BenchmarkEnvironment.REALISTIC_IMAGE;
import static dev.devs.sandbox.benchmarks.Measurements.fmt;
import static org.assertj.core.api.Assertions.assertThat;

import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.api.async.ResultCallback;
import com.github.dockerjava.api.model.Frame;
import dev.devs.sandbox.ExecSpec;
import dev.devs.sandbox.Sandbox;
import dev.devs.sandbox.SandboxEndpoint;
import dev.devs.sandbox.SandboxProcess;
import dev.devs.sandbox.SandboxProvider;
import dev.devs.sandbox.SandboxSpec;
import dev.devs.sandbox.docker.DockerDriver;
import dev.devs.sandbox.metrics.Percentiles;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The working surface measured against the engine's own API in the same run, on one sandbox of the realistic image:
 * time to the first output byte of a command (ours: streaming exec; raw: docker-java exec create + attached start);
 * file write and read of 1 MiB and 100 MiB in MB/s (ours: {@code files().write/read}; raw: the engine's archive API,
 * {@code PUT/GET /containers/{id}/archive}, on the same scratch volume, which is a path the archive API can reach);
 * and the time from starting a small Python HTTP server in the sandbox to the host's first answer through
 * {@code endpoint()}. Rounds interleave ours and raw. Measured and reported (section {@value #SECTION}), not asserted.
 */
@Tag("benchmark")
@ExtendWith(BenchmarkRunExtension.class)
class WorkingSurfaceBenchmark {

    static final String SECTION = "workingSurface";
    private static final int FIRST_BYTE_ROUNDS = 20;
    private static final int SMALL_ROUNDS = 5;
    private static final int LARGE_ROUNDS = 3;
    private static final int HTTP_ROUNDS = 3;
    private static final int MIB = 1024 * 1024;
    /**
     * A small HTTP server on 127.0.0.1:8000 in the sandbox. Not {@code python3 -m http.server}: the realistic image is
     * Debian's python3-minimal, which has no {@code http} package; {@code socket} is there.
     */
    private static final String TINY_HTTP_SERVER = String.join("\n",
            "import socket",
            "s = socket.socket()",
            "s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)",
            "s.bind(('127.0.0.1', 8000))",
            "s.listen(16)",
            "while True:",
            "    c, _ = s.accept()",
            "    c.recv(65536)",
            "    c.sendall(b'HTTP/1.0 200 OK\\r\\nContent-Length: 6\\r\\n\\r\\nhello\\n')",
            "    c.close()");

    @Test
    @Timeout(900)
    void firstByteFilesAndPortsAgainstTheEngineApi(BenchmarkRun run) throws Exception {
        DockerClient raw = BenchmarkEnvironment.dockerClient();
        SandboxSpec spec = BenchmarkEnvironment.spec(REALISTIC_IMAGE, Duration.ofSeconds(60)).toBuilder()
                .scratchVolume("/scratch").memoryBytes(1024L * MIB).port(8000).build();
        Map<String, Object> section = new LinkedHashMap<>();
        try (SandboxProvider provider = SandboxProvider.of(DockerDriver.builder().dockerHost(BenchmarkEnvironment.DOCKER_HOST).build())) {
            Sandbox sandbox = provider.start(spec);
            String containerId = sandbox.attributes().get("containerId");

            List<Double> oursFirst = new ArrayList<>();
            List<Double> rawFirst = new ArrayList<>();
            for (int i = 0; i < FIRST_BYTE_ROUNDS; i++) {
                oursFirst.add(firstByteOurs(sandbox));
                rawFirst.add(firstByteRaw(raw, containerId));
            }
            section.put("firstOutputByteMs", Map.of("driver", summary(oursFirst), "rawEngineExec", summary(rawFirst)));
            run.summary("working surface: first output byte P50 " + fmt(p50(oursFirst)) + " (raw engine exec "
                    + fmt(p50(rawFirst)) + ")");

            List<Map<String, Object>> files = new ArrayList<>();
            for (int size : new int[] {MIB, 100 * MIB}) {
                int rounds = size == MIB ? SMALL_ROUNDS : LARGE_ROUNDS;
                List<Double> ourWrite = new ArrayList<>();
                List<Double> rawWrite = new ArrayList<>();
                List<Double> ourRead = new ArrayList<>();
                List<Double> rawRead = new ArrayList<>();
                for (int i = 0; i < rounds; i++) {
                    ourWrite.add(mbPerSecond(size, time(() -> sandbox.files().write("/scratch/ours.bin", zeros(size)))));
                    rawWrite.add(mbPerSecond(size, time(() -> archivePut(raw, containerId, "raw.bin", size))));
                    ourRead.add(mbPerSecond(size, time(() -> {
                        try (InputStream in = sandbox.files().openRead("/scratch/ours.bin")) {
                            assertThat(in.transferTo(OutputStream.nullOutputStream())).isEqualTo(size);
                        }
                    })));
                    rawRead.add(mbPerSecond(size, time(() -> {
                        try (InputStream in = raw.copyArchiveFromContainerCmd(containerId, "/scratch/raw.bin").exec()) {
                            assertThat(in.transferTo(OutputStream.nullOutputStream())).isGreaterThanOrEqualTo(size);
                        }
                    })));
                }
                Map<String, Object> row = new LinkedHashMap<>();
                row.put("bytes", size);
                row.put("writeMBps", Map.of("driver", summary(ourWrite), "engineArchiveApi", summary(rawWrite),
                        "ratioP50", p50(ourWrite) / p50(rawWrite)));
                row.put("readMBps", Map.of("driver", summary(ourRead), "engineArchiveApi", summary(rawRead),
                        "ratioP50", p50(ourRead) / p50(rawRead)));
                files.add(row);
                run.summary(String.format(java.util.Locale.ROOT, "working surface: %d MiB write %.1f MB/s (archive API %.1f, %.2fx),"
                                + " read %.1f MB/s (archive API %.1f, %.2fx)", size / MIB, p50(ourWrite), p50(rawWrite),
                        p50(ourWrite) / p50(rawWrite), p50(ourRead), p50(rawRead), p50(ourRead) / p50(rawRead)));
            }
            section.put("files", files);

            List<Double> http = new ArrayList<>();
            for (int i = 0; i < HTTP_ROUNDS; i++) {
                long t0 = System.nanoTime();
                SandboxProcess server = sandbox.start(ExecSpec.builder("python3", "-c", TINY_HTTP_SERVER).build());
                SandboxEndpoint e = sandbox.endpoint(8000);
                String answer = org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(10))
                        .until(() -> get(e), a -> a.startsWith("HTTP/1.0 200"));
                http.add((System.nanoTime() - t0) / 1e6);
                assertThat(answer).startsWith("HTTP/1.0 200");
                server.destroyForcibly();
                server.close();
            }
            section.put("httpServerToFirstAnswerMs", summary(http));
            run.summary("working surface: a Python HTTP server's start to the host's first answer through endpoint() P50 "
                    + fmt(p50(http)));
            sandbox.stop();
        } finally {
            raw.close();
        }
        run.putSection(SECTION, section);
    }

    @FunctionalInterface
    private interface Step {
        void run() throws Exception;
    }

    private static double time(Step step) throws Exception {
        long t0 = System.nanoTime();
        step.run();
        return (System.nanoTime() - t0) / 1e9;
    }

    private static double mbPerSecond(int bytes, double seconds) {
        return bytes / 1e6 / seconds;
    }

    private static Map<String, Object> summary(List<Double> samples) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("samples", samples);
        m.put("p50", p50(samples));
        m.put("p95", Percentiles.of(samples, 95).orElse(Double.NaN));
        return m;
    }

    private static double p50(List<Double> samples) {
        return Percentiles.of(samples, 50).orElse(Double.NaN);
    }

    private static double firstByteOurs(Sandbox sandbox) {
        long t0 = System.nanoTime();
        long[] first = {0};
        OutputStream sink = new OutputStream() {
            @Override public void write(int b) { mark(); }
            @Override public void write(byte[] b, int off, int len) { mark(); }
            private void mark() {
                if (first[0] == 0) {
                    first[0] = System.nanoTime();
                }
            }
        };
        sandbox.exec(ExecSpec.builder("echo", "x").build(), sink, OutputStream.nullOutputStream());
        return (first[0] - t0) / 1e6;
    }

    private static double firstByteRaw(DockerClient raw, String containerId) throws InterruptedException {
        long t0 = System.nanoTime();
        String exec = raw.execCreateCmd(containerId).withCmd("echo", "x").withAttachStdout(true).withAttachStderr(true).exec().getId();
        CountDownLatch firstFrame = new CountDownLatch(1);
        long[] first = {0};
        raw.execStartCmd(exec).exec(new ResultCallback.Adapter<Frame>() {
            @Override
            public void onNext(Frame frame) {
                if (first[0] == 0) {
                    first[0] = System.nanoTime();
                }
                firstFrame.countDown();
            }
        }).awaitCompletion(30, TimeUnit.SECONDS);
        assertThat(firstFrame.await(1, TimeUnit.SECONDS)).isTrue();
        return (first[0] - t0) / 1e6;
    }

    private static void archivePut(DockerClient raw, String containerId, String name, int size) throws IOException {
        // A tar of one file, streamed: a header, the zeros, padding and the end blocks.
        byte[] header = new byte[512];
        byte[] n = name.getBytes(StandardCharsets.US_ASCII);
        System.arraycopy(n, 0, header, 0, n.length);
        put(header, 100, 8, 0644);
        put(header, 108, 8, 0);
        put(header, 116, 8, 0);
        put(header, 124, 12, size);
        put(header, 136, 12, System.currentTimeMillis() / 1000);
        java.util.Arrays.fill(header, 148, 156, (byte) ' ');
        header[156] = '0';
        System.arraycopy("ustar\u000000".getBytes(StandardCharsets.US_ASCII), 0, header, 257, 8);
        long sum = 0;
        for (byte b : header) {
            sum += b & 0xff;
        }
        put(header, 148, 7, sum);
        int pad = (512 - size % 512) % 512;
        InputStream tar = new java.io.SequenceInputStream(java.util.Collections.enumeration(List.of(
                new java.io.ByteArrayInputStream(header), zeros(size), new java.io.ByteArrayInputStream(new byte[pad + 1024]))));
        raw.copyArchiveToContainerCmd(containerId).withRemotePath("/scratch").withTarInputStream(tar).exec();
    }

    private static void put(byte[] h, int off, int len, long value) {
        String s = Long.toOctalString(value);
        String padded = "0".repeat(len - 1 - s.length()) + s;
        System.arraycopy(padded.getBytes(StandardCharsets.US_ASCII), 0, h, off, len - 1);
    }

    private static InputStream zeros(long size) {
        return new InputStream() {
            long left = size;

            @Override
            public int read() {
                return left-- > 0 ? 0 : -1;
            }

            @Override
            public int read(byte[] b, int off, int len) {
                if (left <= 0) {
                    return -1;
                }
                int k = (int) Math.min(len, left);
                java.util.Arrays.fill(b, off, off + k, (byte) 0);
                left -= k;
                return k;
            }
        };
    }

    private static String get(SandboxEndpoint e) {
        try (Socket socket = new Socket()) {
            socket.connect(e.address(), 5000);
            socket.setSoTimeout(5000);
            socket.getOutputStream().write("GET / HTTP/1.0\r\nHost: sandbox\r\n\r\n".getBytes(StandardCharsets.UTF_8));
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            socket.getInputStream().transferTo(out);
            return out.toString(StandardCharsets.UTF_8);
        } catch (IOException ex) {
            return "";
        }
    }
}
