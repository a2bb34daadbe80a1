package io.tether.bench.abuse;

import io.vertx.core.Future;
import io.vertx.core.MultiMap;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.http.WebSocket;
import io.vertx.core.http.WebSocketClient;
import io.vertx.core.http.WebSocketClientOptions;
import io.vertx.core.http.WebSocketConnectOptions;
import java.net.InetAddress;
import java.net.URI;
import java.net.UnknownHostException;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/** The node under attack: its client URL and management URL, and the clients that reach them. */
final class Target {

  /** An HTTP answer from the management port. */
  record Answer(int status, String body) {
  }

  final Vertx vertx;
  private final URI ws;
  private final URI management;
  private final boolean loopback;
  private final Map<String, WebSocketClient> clients = new ConcurrentHashMap<>();
  private final HttpClient http;

  Target(Vertx vertx, String wsUrl, String managementUrl) {
    this.vertx = vertx;
    this.ws = URI.create(wsUrl);
    this.management = URI.create(managementUrl);
    boolean lo;
    try {
      lo = InetAddress.getByName(ws.getHost()).isLoopbackAddress();
    } catch (UnknownHostException e) {
      lo = false;
    }
    this.loopback = lo;
    this.http = vertx.createHttpClient(new HttpClientOptions().setKeepAlive(false));
  }

  /**
   * A source address for attacker number {@code i}: on a loopback target, 127.0.0.x (x from {@code base}) so per-IP
   * limits see several addresses; else null (the default route).
   */
  String source(int base, int i) {
    return loopback ? "127.0.0." + (base + i % 64) : null;
  }

  boolean loopback() {
    return loopback;
  }

  Future<WebSocket> connect(String localAddress, String origin) {
    WebSocketClient client = clients.computeIfAbsent(localAddress == null ? "" : localAddress, a -> {
      WebSocketClientOptions o = new WebSocketClientOptions().setMaxConnections(100_000)
          .setMaxFrameSize(1 << 20).setMaxMessageSize(1 << 22).setConnectTimeout(10_000)
          .setSsl("wss".equals(ws.getScheme())).setTrustAll(true).setVerifyHost(false);
      if (!a.isEmpty()) {
        o.setLocalAddress(a);
      }
      return vertx.createWebSocketClient(o);
    });
    int port = ws.getPort() > 0 ? ws.getPort() : ("wss".equals(ws.getScheme()) ? 443 : 80);
    WebSocketConnectOptions o = new WebSocketConnectOptions().setHost(ws.getHost()).setPort(port)
        .setURI(ws.getRawPath() == null || ws.getRawPath().isEmpty() ? "/ws" : ws.getRawPath())
        .setSsl("wss".equals(ws.getScheme())).setTimeout(10_000);
    if (origin == null) {
      o.setAllowOriginHeader(false);
    } else {
      o.addHeader("Origin", origin);
    }
    return client.connect(o);
  }

  /** A management call; {@code key} null sends no Authorization header. */
  Future<Answer> call(HttpMethod method, String path, String key, String body) {
    int port = management.getPort() > 0 ? management.getPort() : 80;
    RequestOptions o = new RequestOptions().setMethod(method).setHost(management.getHost()).setPort(port)
        .setURI(path).setSsl("https".equals(management.getScheme())).setTimeout(10_000);
    MultiMap h = MultiMap.caseInsensitiveMultiMap();
    if (key != null) {
      h.add("Authorization", "Bearer " + key);
    }
    if (body != null) {
      h.add("Content-Type", "application/json");
    }
    o.setHeaders(h);
    return http.request(o).compose(req -> req.send(body == null ? Buffer.buffer() : Buffer.buffer(body)))
        .compose(resp -> resp.body().map(b -> new Answer(resp.statusCode(), b.toString())));
  }
}
