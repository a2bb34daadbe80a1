package io.tether.client.internal;

import io.tether.client.TetherClientOptions;
import io.vertx.core.http.WebSocketClientOptions;
import io.vertx.core.http.WebSocketConnectOptions;
import java.net.URI;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;

/** Where the client connects: the configured URL, and for a resume the load-balancer hints of docs/PROTOCOL.md §2. */
public final class Endpoint {

  private final String url;
  private final WebSocketConnectOptions connectOptions;

  /** {@code options} are validated: the URL is a {@code ws://} or {@code wss://} URL with a host. */
  public Endpoint(TetherClientOptions options) {
    this.url = options.getUrl();
    URI uri = URI.create(url);
    boolean ssl = "wss".equalsIgnoreCase(uri.getScheme());
    int port = uri.getPort() > 0 ? uri.getPort() : (ssl ? 443 : 80);
    String path = uri.getRawPath() == null || uri.getRawPath().isEmpty() ? "/" : uri.getRawPath();
    if (uri.getRawQuery() != null) {
      path += "?" + uri.getRawQuery();
    }
    this.connectOptions = new WebSocketConnectOptions()
        .setHost(uri.getHost())
        .setPort(port)
        .setSsl(ssl)
        .setURI(path)
        // Bounds the WebSocket upgrade: a path that accepts TCP but never answers is given up (and closed).
        .setIdleTimeout(options.getConnectTimeoutMs())
        // Not a browser: no Origin header (Vert.x would send one), so a gateway's browser Origin check lets us pass.
        .setAllowOriginHeader(false);
  }

  /**
   * The WebSocket client settings: frames up to twice {@code maxFrameBytes}, no compression; for {@code wss://} the
   * JVM's trusted authorities plus {@code trustedCertPath}, with the host name verified.
   */
  public static WebSocketClientOptions clientOptions(TetherClientOptions options) {
    int inboundLimit = Math.max(options.getMaxFrameBytes() * 2, 4096);
    WebSocketClientOptions ws = new WebSocketClientOptions().setVerifyHost(true);
    if (options.getTrustedCertPath() != null) {
      ws.setTrustOptions(new ExtraTrust(options.getTrustedCertPath()));
    }
    return ws
        .setMaxFrameSize(inboundLimit)
        .setMaxMessageSize(inboundLimit)
        .setTryUsePerMessageCompression(false)
        .setTryUsePerFrameCompression(false)
        .setClosingTimeout(2)
        .setConnectTimeout((int) Math.min(Integer.MAX_VALUE, options.getConnectTimeoutMs()));
  }

  public String url() {
    return url;
  }

  /** For {@code hello}: the configured URL. */
  public WebSocketConnectOptions hello() {
    return connectOptions;
  }

  /**
   * For {@code resume}: the configured URL plus {@code sid=<sessionId>&node=<node>}. The server ignores them; a load
   * balancer may route the resume to the node the session was on (cluster-config/haproxy.cfg). {@code node} null:
   * left out (that node asked the client to reconnect: it is shutting down).
   */
  public WebSocketConnectOptions resume(String sessionId, String node) {
    String uri = connectOptions.getURI();
    StringBuilder b = new StringBuilder(uri.length() + 96).append(uri).append(uri.indexOf('?') < 0 ? '?' : '&')
        .append("sid=").append(URLEncoder.encode(sessionId, StandardCharsets.UTF_8));
    if (node != null) {
      b.append("&node=").append(URLEncoder.encode(node, StandardCharsets.UTF_8));
    }
    return new WebSocketConnectOptions(connectOptions).setURI(b.toString());
  }
}
