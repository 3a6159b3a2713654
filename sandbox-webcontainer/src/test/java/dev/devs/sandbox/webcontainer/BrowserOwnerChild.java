package dev.devs.sandbox.webcontainer;

import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;

/**
 * The main class of a child JVM that launches Chromium (profile under the directory it is given), prints
 * {@code LAUNCHED}, and waits to be killed. Arguments: the Chromium binary, the profile parent directory.
 */
public final class BrowserOwnerChild {

    private BrowserOwnerChild() {
    }

    public static void main(String[] args) throws Exception {
        Browser.launch(Path.of(args[0]), Duration.ofSeconds(30), Path.of(args[1]));
        System.out.println("LAUNCHED");
        System.out.flush();
        new CountDownLatch(1).await();
    }
}
