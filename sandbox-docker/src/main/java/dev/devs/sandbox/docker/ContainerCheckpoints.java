package dev.devs.sandbox.docker;

import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.api.model.Info;
import com.github.dockerjava.core.DockerClientImpl;
import com.github.dockerjava.transport.DockerHttpClient;
import dev.devs.sandbox.SandboxException;
import dev.devs.sandbox.SandboxStartException;
import dev.devs.sandbox.spi.SandboxDriver;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * Checkpoints of runsc containers and the starts of new containers from them, through the engine's experimental
 * checkpoint API (docker-java has no commands for it, so the driver's HTTP client is asked directly).
 *
 * <ul>
 *   <li>Checkpoint: {@code POST /containers/<id>/checkpoints} with a checkpoint directory of the driver's
 *       ({@link #directory}, so that the files outlive the container, which the engine removes when the checkpoint
 *       ends it) and {@code Exit: true} (runsc cannot leave the container running: "invalid state transition").</li>
 *   <li>Fork: the new container is created as for any start; the checkpoint's files are copied under the engine's
 *       folder for it ({@code <data root>/containers/<id>/checkpoints/<name>/}, since this engine refuses a custom
 *       directory at start), then {@code POST /containers/<id>/start?checkpoint=<name>}. So the driver must run on the
 *       engine's host, able to write its data root.</li>
 * </ul>
 * Measured and decided in docs/decisions/0015-checkpoint-and-fork-on-gvisor.md. Thread-safe.
 */
final class ContainerCheckpoints {

    /** The one runtime that can checkpoint here: runc would need CRIU, which fails its own check on these kernels. */
    static final String RUNTIME = "runsc";
    static final Pattern NAME = Pattern.compile("snap-[0-9a-f]{12}");
    /** A file of each fork's copy of a checkpoint, naming its container; see {@link #prepare}. */
    private static final String FORK_MARKER = "devs-fork";

    /** Suffix of the file beside a checkpoint's folder that names its owner, {@code <directory>/<name>.owner}. */
    static final String OWNER_SUFFIX = ".owner";
    /**
     * The snapshot directories of this JVM's drivers, the default always among them: the orphan sweep of any driver
     * looks in each for what dead owners left, so that one configured elsewhere is swept by a later JVM configured so.
     */
    private static final Set<Path> DIRECTORIES = ConcurrentHashMap.newKeySet();

    static {
        DIRECTORIES.add(DockerDriver.DEFAULT_SNAPSHOT_DIRECTORY);
    }

    private final EngineCalls engine;
    private final EngineFailureTranslator failures;
    private final String dockerHost;
    private final Path directory;

    ContainerCheckpoints(EngineCalls engine, EngineFailureTranslator failures, String dockerHost, Path directory) {
        this.engine = engine;
        this.failures = failures;
        this.dockerHost = dockerHost;
        this.directory = directory;
        DIRECTORIES.add(directory);
    }

    /** Every snapshot directory a driver of this JVM was given (and the default). */
    static Set<Path> directories() {
        return Set.copyOf(DIRECTORIES);
    }

    /**
     * A checkpoint's files in {@link #directory}: {@code <directory>/<name>/}, and beside them {@code <name>.owner}, the
     * owner's labels ({@link Owner#labels()}), written before the engine is asked, so that the orphan sweep can tell a
     * dead owner's snapshot, and only that, at any moment of its life. {@link #keep()} deletes the owner file: a kept
     * snapshot belongs to no process and only an explicit {@link #remove()} ends it.
     */
    record StoredCheckpoint(Path dir, String name, long sizeBytes) implements SandboxDriver.Checkpoint {
        @Override
        public String location() {
            return dir.toString();
        }

        @Override
        public void keep() {
            deleteOwnerFile(dir);
        }

        @Override
        public void remove() {
            deleteTree(dir);
            deleteOwnerFile(dir);
        }
    }

    static Path ownerFile(Path checkpointDir) {
        return checkpointDir.resolveSibling(checkpointDir.getFileName() + OWNER_SUFFIX);
    }

    private static void deleteOwnerFile(Path checkpointDir) {
        try {
            Files.deleteIfExists(ownerFile(checkpointDir));
        } catch (IOException e) {
            throw new SandboxException("removing the owner file " + ownerFile(checkpointDir) + " failed: " + e, e);
        }
    }

    /** The owner an owner file names, or empty when it names none legibly. */
    static Optional<Owner> readOwner(Path ownerFile) throws IOException {
        Properties p = new Properties();
        try (var in = Files.newInputStream(ownerFile)) {
            p.load(in);
        }
        Map<String, String> labels = new HashMap<>();
        p.stringPropertyNames().forEach(k -> labels.put(k, p.getProperty(k)));
        return Owner.fromLabels(labels);
    }

    /**
     * Refuses, before anything is done, what cannot be checkpointed here (runtime, engine setting, engine's host), then
     * writes the checkpoint, which ends the container.
     *
     * @throws UnsupportedOperationException naming the runtime, the engine setting or the host that is missing
     */
    SandboxDriver.Checkpoint checkpoint(String sandboxId, String containerId, OwnerLink link, String name, Duration timeout)
            throws InterruptedException {
        String runtime = engine.request(c -> c.inspectContainerCmd(containerId).exec().getHostConfig().getRuntime());
        if (!RUNTIME.equals(runtime)) {
            throw new UnsupportedOperationException("sandbox " + sandboxId + " runs on runtime '" + (runtime == null ? "runc" : runtime)
                    + "', which cannot checkpoint here: start it with SandboxSpec.builder(...).runtime(\"runsc\") (gVisor)");
        }
        Path dataRoot = requireCheckpointingEngine();
        try {
            Files.createDirectories(directory);
            Files.setPosixFilePermissions(directory, PosixFilePermissions.fromString("rwx------"));
        } catch (IOException e) {
            throw new UnsupportedOperationException("the snapshot directory " + directory + " cannot be used: " + e, e);
        }
        Path dir = directory.resolve(name);
        writeOwnerFile(dir);
        try {
            return write(sandboxId, containerId, link, name, timeout, dir, dataRoot);
        } catch (RuntimeException | InterruptedException e) {
            // Nothing of a failed checkpoint is anyone's snapshot: its files go with it.
            try {
                new StoredCheckpoint(dir, name, 0).remove();
            } catch (RuntimeException cleanup) {
                e.addSuppressed(cleanup);
            }
            throw e;
        }
    }

    private SandboxDriver.Checkpoint write(String sandboxId, String containerId, OwnerLink link, String name, Duration timeout,
                                           Path dir, Path dataRoot) throws InterruptedException {
        // No lifetime watcher may be in the checkpoint: on a restored clock it could fire before the fork's own starts.
        Map<OwnerLink.Mark, Long> seen = Map.of(OwnerLink.Mark.LIFETIME_SUSPENDED, link.marks(OwnerLink.Mark.LIFETIME_SUSPENDED));
        try {
            engine.request(c -> c.killContainerCmd(containerId).withSignal(OwnerWatchdog.SUSPEND_LIFETIME_SIGNAL).exec());
        } catch (RuntimeException e) {
            throw failures.afterStart(sandboxId, "signal container " + containerId + " before its checkpoint", e);
        }
        if (link.awaitMark(seen, timeout) == null) {
            throw new SandboxException("the watchdog of sandbox " + sandboxId + " did not answer before its checkpoint"
                    + (link.isEnded() ? ": the sandbox has ended" : " within " + timeout));
        }
        String body = "{\"CheckpointID\":\"" + name + "\",\"CheckpointDir\":\"" + json(directory.toString()) + "\",\"Exit\":true}";
        post(sandboxId, "/containers/" + containerId + "/checkpoints", body, "checkpoint container " + containerId);
        if (!Files.isRegularFile(dir.resolve("checkpoint.img"))) {
            throw new SandboxException("the engine said it checkpointed sandbox " + sandboxId + " but " + dir
                    + " holds no checkpoint.img (engine data root " + dataRoot + ")");
        }
        return new StoredCheckpoint(dir, name, sizeOf(dir));
    }

    private static void writeOwnerFile(Path dir) {
        Properties p = new Properties();
        p.putAll(Owner.current().labels());
        Path file = ownerFile(dir);
        try (var out = Files.newOutputStream(file)) {
            p.store(out, "the process that owns snapshot " + dir.getFileName() + "; the orphan sweep removes both once it is dead");
        } catch (IOException e) {
            throw new UnsupportedOperationException("the snapshot directory " + dir.getParent() + " cannot be used: " + e, e);
        }
    }

    /** Copies the checkpoint under the engine's folder of the created container {@code containerId}. */
    void prepare(String sandboxId, String containerId, SandboxDriver.Checkpoint checkpoint) throws InterruptedException {
        StoredCheckpoint files = ours(sandboxId, checkpoint);
        Path dataRoot = requireCheckpointingEngine();
        Path target = dataRoot.resolve("containers").resolve(containerId).resolve("checkpoints").resolve(files.name());
        if (!Files.isDirectory(target.getParent().getParent())) {
            throw new SandboxStartException(sandboxId, "the engine's folder for container " + containerId + " is not at "
                    + target.getParent().getParent() + ": is this JVM on the host of the Docker engine at " + dockerHost + "?");
        }
        try (Stream<Path> all = Files.walk(files.dir())) {
            for (Path from : (Iterable<Path>) all::iterator) {
                Path to = target.resolve(files.dir().relativize(from).toString());
                if (Files.isDirectory(from)) {
                    Files.createDirectories(to);
                } else {
                    Files.copy(from, to, StandardCopyOption.REPLACE_EXISTING);
                }
            }
            // The engine uploads the folder to containerd as a tar (mtimes in whole seconds) before the restore, and
            // containerd refuses a blob it already holds: the checkpoint's own blob, which it keeps after writing our
            // folder until its garbage collection, or a concurrent fork's copy made in the same second ("commit failed:
            // content sha256:...: already exists", seen in forks right after their checkpoint). A file naming this
            // container makes every fork's tar its own; runsc reads only its image files.
            Files.writeString(target.resolve(FORK_MARKER), containerId + "\n");
        } catch (NoSuchFileException e) {
            throw new SandboxStartException(sandboxId, "snapshot " + files.name() + " is gone from " + files.dir() + ": " + e.getFile(), e);
        } catch (IOException e) {
            throw new SandboxStartException(sandboxId, "copying snapshot " + files.name() + " to " + target + " failed: " + e, e);
        }
    }

    /**
     * {@code docker start --checkpoint <name>} of the prepared container. Not asked twice: when the engine refuses the
     * start it has already removed the container (AutoRemove, which every sandbox has, applies to a failed start too),
     * so a second ask can only answer "No such container" (seen: the engine's "failed to upload checkpoint to
     * containerd: commit failed: content sha256:...: already exists", then 404 on the second ask). The start fails
     * with the engine's own answer, and the provider removes what is left; a new fork creates a new container.
     */
    void start(String sandboxId, String containerId, SandboxDriver.Checkpoint checkpoint) throws InterruptedException {
        String name = ours(sandboxId, checkpoint).name();
        String path = "/containers/" + containerId + "/start?checkpoint=" + URLEncoder.encode(name, StandardCharsets.UTF_8);
        post(sandboxId, path, null, "start container " + containerId + " from checkpoint " + name);
    }

    private static StoredCheckpoint ours(String sandboxId, SandboxDriver.Checkpoint checkpoint) {
        if (!(checkpoint instanceof StoredCheckpoint f) || !NAME.matcher(f.name()).matches()) {
            throw new SandboxStartException(sandboxId, "checkpoint " + checkpoint + " was not made by the Docker driver");
        }
        return f;
    }

    /** The engine's data root, after checking experimental features are on and that root is on this host. */
    private Path requireCheckpointingEngine() throws InterruptedException {
        Info info = engine.request(c -> c.infoCmd().exec());
        if (!Boolean.TRUE.equals(info.getExperimentalBuild())) {
            throw new UnsupportedOperationException("the Docker engine at " + dockerHost + " has experimental features off, and"
                    + " checkpoints need them: add \"experimental\": true to its daemon.json and restart it");
        }
        Path dataRoot = Path.of(info.getDockerRootDir() == null ? "/var/lib/docker" : info.getDockerRootDir());
        if (!Files.isDirectory(dataRoot.resolve("containers")) || !Files.isWritable(dataRoot.resolve("containers"))) {
            throw new UnsupportedOperationException("the data root " + dataRoot + " of the Docker engine at " + dockerHost
                    + " is not a folder this JVM can write: a fork copies its checkpoint there, so run this JVM on the"
                    + " engine's host as the engine's user (root)");
        }
        return dataRoot;
    }

    private void post(String sandboxId, String path, String json, String what) throws InterruptedException {
        int status;
        String answer;
        try {
            String[] result = engine.request(c -> call(c, path, json));
            status = Integer.parseInt(result[0]);
            answer = result[1];
        } catch (RuntimeException e) {
            throw failures.afterStart(sandboxId, what, e);
        }
        if (status / 100 != 2) {
            throw new SandboxException("the Docker engine at " + dockerHost + " refused to " + what + " (HTTP " + status + "): "
                    + ContainerDiagnostics.clip(answer.strip()));
        }
    }

    private static String[] call(DockerClient client, String path, String json) {
        DockerHttpClient.Request.Builder request = new DockerHttpClient.Request.Builder()
                .method(DockerHttpClient.Request.Method.POST).path(path);
        if (json != null) {
            request.putHeader("Content-Type", "application/json").bodyBytes(json.getBytes(StandardCharsets.UTF_8));
        }
        try (DockerHttpClient.Response response = ((DockerClientImpl) client).getHttpClient().execute(request.build());
             InputStream body = response.getBody()) {
            return new String[] {Integer.toString(response.getStatusCode()), new String(body.readAllBytes(), StandardCharsets.UTF_8)};
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static long sizeOf(Path dir) {
        try (Stream<Path> all = Files.walk(dir)) {
            return all.filter(Files::isRegularFile).mapToLong(p -> {
                try {
                    return Files.size(p);
                } catch (IOException e) {
                    return 0;
                }
            }).sum();
        } catch (IOException e) {
            return 0;
        }
    }

    static void deleteTree(Path dir) {
        try (Stream<Path> all = Files.walk(dir)) {
            List<Path> paths = all.sorted(Comparator.reverseOrder()).toList();
            for (Path p : paths) {
                Files.deleteIfExists(p);
            }
        } catch (NoSuchFileException | FileAlreadyExistsException gone) {
            // already removed
        } catch (IOException e) {
            throw new SandboxException("removing snapshot files at " + dir + " failed: " + e, e);
        }
    }

    private static String json(String s) {
        return s.replace("\\", "\\\\").replace("\"", "\\\"");
    }
}
