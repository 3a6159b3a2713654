package dev.devs.sandbox.kubernetes;

import io.fabric8.kubernetes.api.model.EventList;
import io.fabric8.kubernetes.client.server.mock.KubernetesMixedDispatcher;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import io.fabric8.mockwebserver.dsl.HttpMethod;
import io.fabric8.mockwebserver.ServerRequest;
import io.fabric8.mockwebserver.ServerResponse;
import io.fabric8.mockwebserver.http.MockResponse;
import io.fabric8.mockwebserver.http.RecordedRequest;
import io.fabric8.mockwebserver.http.Response;
import io.fabric8.mockwebserver.http.WebSocket;
import io.fabric8.mockwebserver.http.WebSocketListener;
import java.io.IOException;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.concurrent.CompletableFuture;
import java.util.function.BiPredicate;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * STAND-IN for the exec subresource of a real API server and kubelet (none can run here): the mock server's
 * dispatcher, extended so that {@code /api/v1/namespaces/{ns}/pods/{pod}/exec} on a Pod the kubelet stand-in runs is
 * upgraded to a WebSocket speaking the Kubernetes channel protocol (1 stdout, 2 stderr, 3 status), and the command
 * runs as a local process of the test JVM. It checks what a real API server checks before it upgrades: the
 * {@code container} is one of the Pod's, and the stream flags are ones the driver may ask for (stdout and stderr on,
 * no stdin, no tty: a tty would merge stderr into stdout). Every answer it makes itself says it is a stand-in. It also applies the {@code involvedObject.name} field selector on events,
 * which the CRUD mock ignores, and disrupts watches of one Pod when a test asks it to ({@link #watchDisruptions}: 410
 * Gone, or a dropped connection). Every other request goes to fabric8's CRUD mock, expectations first.
 */
final class ExecStandIn extends KubernetesMixedDispatcher {

    private static final Pattern EXEC = Pattern.compile("/api/v1/namespaces/([^/]+)/pods/([^/?]+)/exec\\?(.*)");

    /** A watch of one Pod by name, as the driver's start makes (the stand-ins' own informers watch all Pods). */
    private static final Pattern WATCH_OF_ONE_POD = Pattern.compile("/api/v1/namespaces/[^/]+/pods\\?(?:.*&)?fieldSelector=metadata\\.name%3D[^&]+.*");

    private static final Pattern EVENTS_OF = Pattern.compile("(/api/v1/namespaces/[^/]+/events)\\?(?:.*&)?fieldSelector=involvedObject\\.name%3D([^&]+).*");

    private final BiPredicate<String, String> isRunning;
    private final KubernetesSerialization json = new KubernetesSerialization();

    /** @param isRunning whether the kubelet stand-in runs the Pod (namespace, name) */
    ExecStandIn(Map<ServerRequest, Queue<ServerResponse>> responses, BiPredicate<String, String> isRunning) {
        super(responses);
        this.isRunning = isRunning;
    }

    @Override
    public MockResponse dispatch(RecordedRequest request) {
        Matcher events = EVENTS_OF.matcher(request.getPath());
        if (events.matches() && request.method() == HttpMethod.GET) {
            return eventsOf(request, events.group(1), URLDecoder.decode(events.group(2), StandardCharsets.UTF_8));
        }
        if (request.method() == HttpMethod.GET && request.getPath().contains("watch=true")
                && WATCH_OF_ONE_POD.matcher(request.getPath()).matches()) {
            WatchDisruption disruption = watchDisruptions.poll();
            if (disruption != null) {
                disruptedWatches.add(disruption);
                return disrupt(disruption);
            }
        }
        Matcher m = EXEC.matcher(request.getPath());
        if (!m.matches()) {
            return super.dispatch(request);
        }
        if (!isRunning.test(m.group(1), m.group(2))) {
            return refusal(404, "NotFound", "pods \\\"" + m.group(2) + "\\\" not found");
        }
        List<String> command = new ArrayList<>();
        Map<String, String> flags = new java.util.HashMap<>();
        for (String param : m.group(3).split("&")) {
            int eq = param.indexOf('=');
            String key = eq < 0 ? param : param.substring(0, eq);
            String value = eq < 0 ? "" : URLDecoder.decode(param.substring(eq + 1), StandardCharsets.UTF_8);
            if (key.equals("command")) {
                command.add(value);
            } else {
                flags.put(key, value);
            }
        }
        List<String> containers = containersOf(request, m.group(1), m.group(2));
        String container = flags.get("container");
        if (container == null || !containers.contains(container)) {
            return refusal(400, "BadRequest", "container " + container + " is not valid for pod " + m.group(2)
                    + " (its containers: " + containers + ")");
        }
        if (!"true".equals(flags.get("stdout")) || !"true".equals(flags.get("stderr")) || "true".equals(flags.get("stdin"))
                || "true".equals(flags.get("tty"))) {
            return refusal(400, "BadRequest", "exec flags " + flags + " are not what the driver must send: stdout=true and"
                    + " stderr=true, no stdin, no tty");
        }
        if (command.isEmpty()) {
            return refusal(400, "BadRequest", "you must specify at least one command for the container");
        }
        if (withoutShell && command.get(0).equals("/bin/sh")) {
            execs.add(new Exec(container, Map.copyOf(flags), List.copyOf(command)));
            return new MockResponse().withWebSocketUpgrade(new WebSocketListener() {
                @Override
                public void onOpen(WebSocket ws, Response response) {
                    // What a container runtime answers for a program the image lacks.
                    Session.send(ws, 3, ("{\"metadata\":{},\"status\":\"Failure\",\"message\":\"OCI runtime exec failed: exec failed:"
                            + " exec: \\\"/bin/sh\\\": stat /bin/sh: no such file or directory: unknown [Kubernetes exec test stand-in]\","
                            + "\"reason\":\"InternalError\"}").getBytes(StandardCharsets.UTF_8));
                    ws.close(1000, "");
                }
            });
        }
        execs.add(new Exec(container, Map.copyOf(flags), List.copyOf(command)));
        return new MockResponse().withWebSocketUpgrade(new Session(command, processes));
    }

    /** How the stand-in disrupts the next watch of one Pod. */
    enum WatchDisruption {
        /** Answers 410 Gone, as an API server does for a resourceVersion it no longer has: the client must list again. */
        GONE,
        /** Accepts the watch and closes it at once, as a restarting API server or a load balancer's idle cut does. */
        DROP
    }

    /** The disruptions still to make, one per watch of one Pod, in order. */
    final Queue<WatchDisruption> watchDisruptions = new java.util.concurrent.ConcurrentLinkedQueue<>();

    /** The disruptions made, oldest first. */
    final Queue<WatchDisruption> disruptedWatches = new java.util.concurrent.ConcurrentLinkedQueue<>();

    private static MockResponse disrupt(WatchDisruption disruption) {
        if (disruption == WatchDisruption.GONE) {
            return refusal(410, "Expired", "too old resource version: 1 (2)");
        }
        return new MockResponse().withWebSocketUpgrade(new WebSocketListener() {
            @Override
            public void onOpen(WebSocket ws, Response response) {
                ws.close(1000, "watch dropped by the Kubernetes API test stand-in");
            }
        });
    }

    /** Whether the Pods' image is one without {@code /bin/sh}: an exec of it fails as a container runtime's would. */
    volatile boolean withoutShell;

    /** What an exec that was let through asked for. */
    record Exec(String container, Map<String, String> flags, List<String> command) {
    }

    /** The execs let through so far, oldest first. */
    final Queue<Exec> execs = new java.util.concurrent.ConcurrentLinkedQueue<>();

    private static MockResponse refusal(int code, String reason, String message) {
        return new MockResponse().setResponseCode(code).setBody("{\"kind\":\"Status\",\"apiVersion\":\"v1\",\"status\":\"Failure\","
                + "\"message\":\"" + message + " [Kubernetes exec test stand-in]\",\"reason\":\"" + reason + "\",\"code\":" + code + "}");
    }

    /** The names of the Pod's containers, read from the CRUD mock. */
    private List<String> containersOf(RecordedRequest request, String namespace, String pod) {
        MockResponse got = super.dispatch(new RecordedRequest(request.getHttpVersion(), HttpMethod.GET,
                "/api/v1/namespaces/" + namespace + "/pods/" + pod, request.getHeaders(), null));
        if (got.getBody() == null) {
            return List.of();
        }
        io.fabric8.kubernetes.api.model.Pod p = json.unmarshal(got.getBody().readUtf8(), io.fabric8.kubernetes.api.model.Pod.class);
        return p == null || p.getSpec() == null ? List.of() : p.getSpec().getContainers().stream().map(c -> c.getName()).toList();
    }

    /** The API server's field selector on {@code involvedObject.name}, which the CRUD mock lacks: list all, keep the Pod's. */
    private MockResponse eventsOf(RecordedRequest request, String path, String name) {
        MockResponse all = super.dispatch(new RecordedRequest(request.getHttpVersion(), request.method(), path, request.getHeaders(),
                request.getBody()));
        EventList list = json.unmarshal(all.getBody().readUtf8(), EventList.class);
        list.setItems(list.getItems().stream().filter(e -> name.equals(e.getInvolvedObject().getName())).toList());
        return new MockResponse().setResponseCode(200).setBody(json.asJson(list));
    }

    /** The processes the execs started, until they end; what {@link #close} kills. */
    private final java.util.Set<Process> processes = java.util.concurrent.ConcurrentHashMap.newKeySet();

    /** Kills what the execs started and still runs, with its descendants: the stand-in's processes are this JVM's. */
    void close() {
        for (Process p : List.copyOf(processes)) {
            p.descendants().forEach(ProcessHandle::destroyForcibly);
            p.destroyForcibly();
        }
    }

    /**
     * One exec: runs the command when the socket opens, streams its output, sends the status, closes. As a real
     * kubelet, it does not end the process when the client closes the connection: the process runs on, as it would
     * in the container, until it ends or the stand-in is closed.
     */
    private static final class Session extends WebSocketListener {
        private final List<String> command;
        private final java.util.Set<Process> processes;

        Session(List<String> command, java.util.Set<Process> processes) {
            this.command = command;
            this.processes = processes;
        }

        @Override
        public void onOpen(WebSocket ws, Response response) {
            // Off the server's event loop: the process may run for a while.
            Thread t = new Thread(() -> run(ws), "exec-stand-in");
            t.setDaemon(true);
            t.start();
        }

        private void run(WebSocket ws) {
            Process process = null;
            try {
                Process started = new ProcessBuilder(command).start();
                process = started;
                processes.add(started);
                started.getOutputStream().close();
                // Streamed as produced, as an API server does: a client sees output before the command ends.
                CompletableFuture<Void> err = CompletableFuture.runAsync(() -> pump(started.getErrorStream(), ws, 2));
                pump(started.getInputStream(), ws, 1);
                int exit = started.waitFor();
                err.join();
                send(ws, 3, status(exit).getBytes(StandardCharsets.UTF_8));
            } catch (IOException e) {
                send(ws, 3, ("{\"metadata\":{},\"status\":\"Failure\",\"message\":\"" + e.getMessage().replace("\"", "'")
                        + "\",\"reason\":\"InternalError\"}").getBytes(StandardCharsets.UTF_8));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } finally {
                if (process != null) {
                    processes.remove(process);
                }
                ws.close(1000, "");
            }
        }

        private static String status(int exit) {
            if (exit == 0) {
                return "{\"metadata\":{},\"status\":\"Success\"}";
            }
            return "{\"metadata\":{},\"status\":\"Failure\",\"message\":\"command terminated with non-zero exit code: exit code " + exit
                    + "\",\"reason\":\"NonZeroExitCode\",\"details\":{\"causes\":[{\"reason\":\"ExitCode\",\"message\":\"" + exit + "\"}]}}";
        }

        private static void send(WebSocket ws, int channel, byte[] data) {
            send(ws, channel, data, data.length);
        }

        private static void send(WebSocket ws, int channel, byte[] data, int length) {
            if (channel != 3 && length == 0) {
                return;
            }
            byte[] frame = new byte[length + 1];
            frame[0] = (byte) channel;
            System.arraycopy(data, 0, frame, 1, length);
            synchronized (ws) {
                ws.send(frame);
            }
        }

        private static void pump(java.io.InputStream in, WebSocket ws, int channel) {
            byte[] buf = new byte[8192];
            try (in) {
                int n;
                while ((n = in.read(buf)) >= 0) {
                    send(ws, channel, buf, n);
                }
            } catch (IOException e) {
                // the process is gone; what it wrote has been sent
            }
        }
    }
}
