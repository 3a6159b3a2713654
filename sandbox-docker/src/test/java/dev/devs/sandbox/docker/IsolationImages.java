package dev.devs.sandbox.docker;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Stream;

/**
 * What the isolation suite needs beyond the tiny image: a variant holding a setuid-root probe, and the list of
 * runtimes the engine under test has registered.
 *
 * <p>The probe is a 136-byte static x86-64 program written here byte by byte (no compiler on the build machines):
 * it calls {@code geteuid()} and exits with the result, so a setuid-root copy run by uid 65534 exits 0 when the
 * setuid bit took effect and 254 (65534 mod 256) when {@code no-new-privileges} kept it from doing so. Busybox
 * cannot serve: it drops a setuid root for almost every applet itself, which would hide the kernel's part.
 */
final class IsolationImages {

    /** The tiny image plus {@link #SETUID_PROBE}, owned by root, mode 4755. */
    static final String SETUID_IMAGE = "devs-sandbox-busybox-setuid:1";
    /** Path of the setuid probe inside {@link #SETUID_IMAGE}. */
    static final String SETUID_PROBE = "/opt/euid";

    private IsolationImages() {
    }

    /** The runtimes of the engine at DOCKER_HOST (or the default socket), as {@code docker info} lists them. */
    static Set<String> engineRuntimes() {
        return new TreeSet<>(DockerTestSupport.api().infoCmd().exec().getRuntimes().keySet());
    }

    /** Builds {@link #SETUID_IMAGE} from the tiny image unless the engine has it. */
    static synchronized void ensureSetuidImage() {
        if (!DockerTestSupport.cli("images", "-q", SETUID_IMAGE).isEmpty()) {
            return;
        }
        Path dir = null;
        try {
            dir = Files.createTempDirectory("devs-setuid-image");
            Files.write(dir.resolve("euid"), euidProgram());
            Files.writeString(dir.resolve("Dockerfile"), "FROM " + DockerTestSupport.TINY_IMAGE + "\n"
                    + "COPY euid " + SETUID_PROBE + "\n"
                    + "RUN [\"/bin/busybox\", \"chmod\", \"4755\", \"" + SETUID_PROBE + "\"]\n");
            // The classic builder, as scripts/lib/env.sh builds the tiny image: Debian's engine has no BuildKit.
            ProcessBuilder p = new ProcessBuilder("docker", "build", "-q", "--network", "none", "-t", SETUID_IMAGE,
                    dir.toString()).redirectErrorStream(true);
            p.environment().put("DOCKER_BUILDKIT", "0");
            Process build = p.start();
            build.getOutputStream().close();
            String out = new String(build.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
            if (!build.waitFor(60, java.util.concurrent.TimeUnit.SECONDS) || build.exitValue() != 0) {
                build.destroyForcibly();
                throw new AssertionError("docker build of " + SETUID_IMAGE + " failed: " + out.strip());
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted building " + SETUID_IMAGE, e);
        } finally {
            deleteTree(dir);
        }
    }

    /** A static ELF64 x86-64 executable: {@code exit(geteuid())}. */
    static byte[] euidProgram() {
        byte[] code = HexFormat.of().parseHex("b86b000000" // mov eax, 107 (geteuid)
                + "0f05" // syscall
                + "89c7" // mov edi, eax
                + "b83c000000" // mov eax, 60 (exit)
                + "0f05"); // syscall
        int total = 64 + 56 + code.length;
        long base = 0x400000;
        ByteBuffer b = ByteBuffer.allocate(total).order(ByteOrder.LITTLE_ENDIAN);
        b.put(new byte[] {0x7f, 'E', 'L', 'F', 2, 1, 1, 0}).put(new byte[8]);
        b.putShort((short) 2).putShort((short) 0x3e).putInt(1).putLong(base + 64 + 56).putLong(64).putLong(0)
                .putInt(0).putShort((short) 64).putShort((short) 56).putShort((short) 1)
                .putShort((short) 0).putShort((short) 0).putShort((short) 0);
        b.putInt(1).putInt(5).putLong(0).putLong(base).putLong(base).putLong(total).putLong(total).putLong(0x1000);
        b.put(code);
        return b.array();
    }

    private static void deleteTree(Path dir) {
        if (dir == null) {
            return;
        }
        try (Stream<Path> s = Files.walk(dir)) {
            for (Path p : (Iterable<Path>) s.sorted(Comparator.reverseOrder())::iterator) {
                Files.deleteIfExists(p);
            }
        } catch (IOException ignored) {
            // a temp directory; nothing depends on it
        }
    }
}
