package dev.devs.sandbox.webcontainer.internal.cdp;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import java.util.Locale;
import java.util.Map;

/**
 * The few {@code Network} domain events the driver watches, as typed records (unknown fields ignored).
 * Subscribe with {@link CdpSession#on(String, Class, java.util.function.Consumer)} after {@code Network.enable}.
 */
public final class Network {

    public static final String REQUEST_WILL_BE_SENT = "Network.requestWillBeSent";
    public static final String RESPONSE_RECEIVED = "Network.responseReceived";
    public static final String LOADING_FAILED = "Network.loadingFailed";
    public static final String RESPONSE_RECEIVED_EXTRA_INFO = "Network.responseReceivedExtraInfo";

    private Network() {
    }

    /** {@code Network.requestWillBeSent}. {@code type} is the resource type, e.g. {@code Document}. */
    @JsonIgnoreProperties(ignoreUnknown = true)
    public record RequestWillBeSent(String requestId, String frameId, String type, Request request) { }

    /** The request part of {@link RequestWillBeSent}. */
    @JsonIgnoreProperties(ignoreUnknown = true)
    public record Request(String url, String method) { }

    /** {@code Network.responseReceived}. */
    @JsonIgnoreProperties(ignoreUnknown = true)
    public record ResponseReceived(String requestId, String frameId, String type, Response response) { }

    /** The response part of {@link ResponseReceived}; header values of repeated headers are joined by newlines. */
    @JsonIgnoreProperties(ignoreUnknown = true)
    public record Response(String url, int status, String statusText, Map<String, String> headers) {

        /** A header's value by case-insensitive name, or null. */
        public String header(String name) {
            if (headers == null) {
                return null;
            }
            for (Map.Entry<String, String> e : headers.entrySet()) {
                if (e.getKey().toLowerCase(Locale.ROOT).equals(name.toLowerCase(Locale.ROOT))) {
                    return e.getValue();
                }
            }
            return null;
        }
    }

    /**
     * {@code Network.responseReceivedExtraInfo}: the raw response as it came off the network, reported even for a
     * response that a policy then blocked (which gets no {@code responseReceived}).
     */
    @JsonIgnoreProperties(ignoreUnknown = true)
    public record ResponseReceivedExtraInfo(String requestId, int statusCode, Map<String, String> headers) { }

    /**
     * {@code Network.loadingFailed}: {@code errorText} is Chromium's net error, e.g.
     * {@code net::ERR_CONNECTION_REFUSED}; {@code blockedReason} is set when a policy (COEP/CORP) blocked it.
     */
    @JsonIgnoreProperties(ignoreUnknown = true)
    public record LoadingFailed(String requestId, String type, String errorText, boolean canceled, String blockedReason) { }
}
