package io.tether.e2e;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.json.JsonObject;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** The management ports of a {@link ClusterScript} cluster: presence, /metrics, the HTTP API (PROTOCOL §10). */
final class Management {

  /** An HTTP answer: status and body. */
  record Answer(int status, String body) {
    JsonObject json() {
      return body.isBlank() ? new JsonObject() : new JsonObject(body);
    }
  }

  private final ClusterScript cluster;
  private final HttpClient http;
  private final String key;

  Management(Vertx vertx, ClusterScript cluster) {
    this.cluster = cluster;
    // Fault cases poll one record per client every few milliseconds: with Vert.x's default of 5 connections the
    // polls queued behind each other and the half-open case measured its own queue (detections in steps of 5).
    this.http = vertx.createHttpClient(new HttpClientOptions().setKeepAlive(true),
        new PoolOptions().setHttp1MaxSize(200));
    this.key = cluster.apiKey();
  }

  Future<Answer> call(int node, HttpMethod method, String path, JsonObject body) {
    return http.request(new RequestOptions().setMethod(method).setHost("127.0.0.1")
            .setPort(cluster.managementPort(node)).setURI(path).putHeader("Authorization", "Bearer " + key))
        .compose(req -> body == null ? req.send() : req.send(Buffer.buffer(body.encode())))
        .compose(resp -> resp.body().map(b -> new Answer(resp.statusCode(), b.toString())));
  }

  /** The presence record's state of {@code clientId} as node-K reads it from the cluster ("?" if none). */
  Future<String> presence(int node, String clientId) {
    return call(node, HttpMethod.GET, "/admin/clients/" + clientId, null)
        .map(a -> a.status() == 200 ? a.json().getString("state", "?") : "HTTP " + a.status());
  }

  /** {@code POST /api/send} on node-K. */
  Future<Answer> send(int node, JsonObject body) {
    return call(node, HttpMethod.POST, "/api/send", body);
  }

  Future<String> metrics(int node) {
    return call(node, HttpMethod.GET, "/metrics", null).map(Answer::body);
  }

  /** The value of the first sample of {@code name} (with any labels) in a Prometheus scrape; NaN if absent. */
  static double sample(String scrape, String name) {
    Matcher m = Pattern.compile("^" + Pattern.quote(name) + "(\\{[^}]*\\})?\\s+(\\S+)", Pattern.MULTILINE)
        .matcher(scrape);
    return m.find() ? Double.parseDouble(m.group(2)) : Double.NaN;
  }

  /** node-K's number from a node id ("node-2" → 2). */
  static int index(String nodeId) {
    return Integer.parseInt(nodeId.substring(nodeId.lastIndexOf('-') + 1));
  }

  Future<Void> close() {
    return http.close();
  }
}
