package dev.devs.sandbox.docker;

import com.github.dockerjava.api.command.PullImageCmd;
import com.github.dockerjava.api.exception.DockerException;
import com.github.dockerjava.api.exception.NotFoundException;
import com.github.dockerjava.api.model.PullResponseItem;
import dev.devs.sandbox.ImageNotFoundException;
import dev.devs.sandbox.SandboxStartException;
import dev.devs.sandbox.SandboxTimeoutException;
import dev.devs.sandbox.spi.StartContext;
import dev.devs.sandbox.StartType;
import com.github.dockerjava.api.command.InspectImageResponse;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Makes a start's image local, in the manner of Testcontainers' {@code ImagePullPolicy}: an image the engine
 * has is used as it is (a {@link StartType#WARM} start, phase {@code inspect-image}); any other is pulled,
 * exactly the named tag, from the registry it names (a {@link StartType#COLD} start, phase {@code pull},
 * bounded by the startup timeout). A failed pull says which of image, registry or engine is at fault.
 */
final class ImagePuller {

    private final EngineCalls engine;
    private final EngineFailureTranslator failures;

    ImagePuller(EngineCalls engine, EngineFailureTranslator failures) {
        this.engine = engine;
        this.failures = failures;
    }

    /**
     * Sets the start type on {@code ctx} and pulls the image if it is not local.
     *
     * @return the image's default command (entrypoint then command), for a spec that gives none
     * @throws ImageNotFoundException  neither local nor in its registry
     * @throws SandboxTimeoutException the pull outlived the startup timeout
     * @throws SandboxStartException   the registry or the engine failed otherwise
     */
    List<String> obtain(ImageReference image, StartContext ctx) throws InterruptedException {
        InspectImageResponse found = ctx.timed("inspect-image", () -> inspect(image, ctx));
        if (found != null) {
            ctx.startType(StartType.WARM);
            return defaultCommand(found);
        }
        ctx.startType(StartType.COLD);
        ctx.checkDeadline("pull");
        ctx.timed("pull", () -> pull(image, ctx));
        InspectImageResponse pulled = inspect(image, ctx);
        return pulled == null ? List.of() : defaultCommand(pulled);
    }

    /** The image as the engine describes it, or null when it is not local. */
    private InspectImageResponse inspect(ImageReference image, StartContext ctx) throws InterruptedException {
        return engine.requestForStart(ctx, "inspect image '" + image.reference() + "'", c -> {
            try {
                return c.inspectImageCmd(image.reference()).exec();
            } catch (NotFoundException e) {
                if (EngineErrorClassifier.isForeignAnswer(e)) {
                    throw e; // not the engine saying "no such image": EngineFailureTranslator explains it
                }
                return null;
            }
        });
    }

    private static List<String> defaultCommand(InspectImageResponse image) {
        List<String> command = new ArrayList<>();
        if (image.getConfig() != null) {
            if (image.getConfig().getEntrypoint() != null) {
                command.addAll(Arrays.asList(image.getConfig().getEntrypoint()));
            }
            if (image.getConfig().getCmd() != null) {
                command.addAll(Arrays.asList(image.getConfig().getCmd()));
            }
        }
        return List.copyOf(command);
    }

    private void pull(ImageReference image, StartContext ctx) throws InterruptedException {
        String id = ctx.sandboxId();
        AtomicReference<String> streamError = new AtomicReference<>();
        StreamCallback<PullResponseItem> stream = new StreamCallback<>(item -> {
            if (item.isErrorIndicated()) {
                String m = item.getErrorDetail() != null && item.getErrorDetail().getMessage() != null
                        ? item.getErrorDetail().getMessage() : item.toString();
                streamError.compareAndSet(null, m);
            }
        });
        PullImageCmd cmd = engine.streams().pullImageCmd(image.pullName());
        if (image.digest() == null) {
            // Without a tag the engine would pull every tag of the repository.
            cmd.withTag(image.tag());
        }
        try {
            cmd.exec(stream);
        } catch (RuntimeException e) {
            stream.close();
            throw failures.starting(id, "pull image '" + image.reference() + "'", e);
        }
        boolean done;
        try {
            done = stream.await(ctx.remaining());
        } catch (InterruptedException e) {
            stream.close(); // else the pull's connection and reader thread live until the pull ends
            throw e;
        }
        if (!done) {
            stream.close();
            throw new SandboxTimeoutException(id, ctx.timeout(), "sandbox " + id + ": pulling image '" + image.reference()
                    + "' from registry " + image.registry() + " did not finish within startupTimeout " + ctx.timeout()
                    + "; give a larger image a longer startupTimeout, or pull it before starting sandboxes");
        }
        Throwable error = stream.error();
        if (error == null && streamError.get() == null) {
            return;
        }
        if (error != null && EngineErrorClassifier.isUnreachable(error)) {
            throw failures.unreachable(id, "pull image '" + image.reference() + "'", error);
        }
        throw pullFailed(id, image, error, error instanceof DockerException de ? EngineErrorClassifier.engineMessage(de)
                : error != null ? EngineErrorClassifier.rootMessage(error) : streamError.get());
    }

    private static SandboxStartException pullFailed(String id, ImageReference image, Throwable error, String message) {
        if (error instanceof NotFoundException || looksLikeMissingImage(message)) {
            return new ImageNotFoundException(id, image.reference(), "image '" + image.reference()
                    + "' was found neither locally nor in registry " + image.registry() + " (the engine said: " + message
                    + "); check the name and tag, push the image to " + image.registry() + ", or build it locally", error);
        }
        if (looksLikeUnreachableRegistry(message)) {
            return new SandboxStartException(id, "image '" + image.reference() + "' is not present locally and registry "
                    + image.registry() + " did not answer (the engine said: " + message + "); start or reach that"
                    + " registry, or make the image local (docker build / docker load) before starting sandboxes", error);
        }
        return new SandboxStartException(id, "pulling image '" + image.reference() + "' from registry " + image.registry()
                + " failed: " + message, error);
    }

    private static boolean looksLikeMissingImage(String message) {
        String m = message.toLowerCase(Locale.ROOT);
        return m.contains("manifest unknown") || m.contains("not found") || m.contains("repository does not exist");
    }

    private static boolean looksLikeUnreachableRegistry(String message) {
        String m = message.toLowerCase(Locale.ROOT);
        return m.contains("dial tcp") || m.contains("no such host") || m.contains("connection refused")
                || m.contains("i/o timeout") || m.contains("timeout exceeded") || m.contains("tls handshake")
                || m.contains("server gave http response to https client") || m.contains("no route to host");
    }
}
