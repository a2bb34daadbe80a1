package io.tether.gateway.testing;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientResponse;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.TimeoutException;
import java.util.function.Predicate;

/**
 * A {@code text/event-stream} reader for tests of the console stream (GET /admin/console/events): parses events as
 * they arrive, each stamped with the time it was read, and hands them out in order through {@link #next}.
 */
public final class SseClient {

  /** One event: its name, its data as JSON, and {@link System#currentTimeMillis()} when it was parsed. */
  public record Event(String name, JsonObject data, long receivedAt) {
  }

  private final Vertx vertx;
  private final HttpClient http;
  private final StringBuilder pending = new StringBuilder();
  private final List<Event> unread = new ArrayList<>();
  private final List<Waiter> waiters = new ArrayList<>();
  private final Promise<Void> ended = Promise.promise();
  private int received;
  private final java.util.Map<String, Integer> byName = new java.util.HashMap<>();

  private record Waiter(String description, Predicate<Event> matcher, Promise<Event> promise, long timer) {
  }

  private SseClient(Vertx vertx, HttpClient http) {
    this.vertx = vertx;
    this.http = http;
  }

  /**
   * Opens the stream with {@code key} as Bearer credential; fails with the status and body when the answer is not 200.
   */
  public static Future<SseClient> open(Vertx vertx, int port, String key) {
    HttpClient http = vertx.createHttpClient();
    SseClient client = new SseClient(vertx, http);
    RequestOptions options = new RequestOptions().setMethod(HttpMethod.GET).setHost("127.0.0.1").setPort(port)
        .setURI("/admin/console/events").putHeader("Accept", "text/event-stream")
        .putHeader("Authorization", "Bearer " + key);
    return http.request(options).compose(req -> req.send()).compose((HttpClientResponse resp) -> {
      if (resp.statusCode() != 200) {
        return resp.body().eventually(http::close).compose(b -> Future.failedFuture(
            new IllegalStateException("HTTP " + resp.statusCode() + " " + b)));
      }
      resp.handler(chunk -> client.onText(chunk.toString()));
      resp.endHandler(v -> client.onEnd());
      resp.exceptionHandler(e -> client.onEnd());
      return Future.succeededFuture(client);
    });
  }

  private synchronized void onText(String text) {
    pending.append(text);
    int cut;
    while ((cut = pending.indexOf("\n\n")) >= 0) {
      String block = pending.substring(0, cut);
      pending.delete(0, cut + 2);
      String name = "message";
      StringBuilder data = new StringBuilder();
      for (String line : block.split("\n")) {
        if (line.startsWith("event: ")) {
          name = line.substring(7);
        } else if (line.startsWith("data: ")) {
          data.append(line.substring(6));
        }
      }
      received++;
      byName.merge(name, 1, Integer::sum);
      deliver(new Event(name, data.length() == 0 ? new JsonObject() : new JsonObject(data.toString()),
          System.currentTimeMillis()));
    }
  }

  private void deliver(Event e) {
    for (Iterator<Waiter> it = waiters.iterator(); it.hasNext(); ) {
      Waiter w = it.next();
      if (w.matcher().test(e)) {
        it.remove();
        vertx.cancelTimer(w.timer());
        w.promise().tryComplete(e);
        return;
      }
    }
    unread.add(e);
  }

  private void onEnd() {
    ended.tryComplete();
  }

  /** The next unread event named {@code name} whose data matches; fails after {@code timeoutMs}. */
  public Future<Event> next(String name, Predicate<JsonObject> data, long timeoutMs) {
    Predicate<Event> matcher = e -> e.name().equals(name) && data.test(e.data());
    synchronized (this) {
      for (Iterator<Event> it = unread.iterator(); it.hasNext(); ) {
        Event e = it.next();
        if (matcher.test(e)) {
          it.remove();
          return Future.succeededFuture(e);
        }
      }
      Promise<Event> promise = Promise.promise();
      Waiter[] self = {null};
      long timer = vertx.setTimer(timeoutMs, t -> {
        synchronized (this) {
          waiters.remove(self[0]);
        }
        promise.tryFail(new TimeoutException("no '" + name + "' event matching within " + timeoutMs + " ms; unread: "
            + describeUnread()));
      });
      self[0] = new Waiter(name, matcher, promise, timer);
      waiters.add(self[0]);
      return promise.future();
    }
  }

  public Future<Event> next(String name, long timeoutMs) {
    return next(name, d -> true, timeoutMs);
  }

  private synchronized String describeUnread() {
    StringBuilder s = new StringBuilder();
    for (Event e : unread.subList(Math.max(0, unread.size() - 10), unread.size())) {
      s.append(e.name()).append(' ').append(e.data().encode()).append("; ");
    }
    return s.length() == 0 ? "none" : s.toString();
  }

  /** Events parsed so far, read or not. */
  public synchronized int received() {
    return received;
  }

  /** Events named {@code name} parsed so far, read or not. */
  public synchronized int received(String name) {
    return byName.getOrDefault(name, 0);
  }

  /** Completes when the server ends the stream or the connection breaks. */
  public Future<Void> ended() {
    return ended.future();
  }

  public Future<Void> close() {
    return http.close();
  }
}
