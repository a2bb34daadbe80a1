package io.tether.bench;

import io.vertx.core.Context;
import io.vertx.core.DeploymentOptions;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.VerticleBase;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.ServerWebSocket;
import io.vertx.core.json.JsonObject;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The baseline for scripts/bench-notify.sh: a plain Vert.x 5 WebSocket server that fans a publish out as
 * {@code notify} frames (PROTOCOL.md §6) to every socket subscribed to the topic. It speaks just enough of the
 * protocol for {@link NotifyLoadClient}: hello/welcome, {@code subscribe} (answered with an {@code ack}), the
 * request {@code demo.publish {"topic","body"}} (answered at once with {@code {"version"}}), ping/pong.
 *
 * <p>No store, no replication, no session layer. A publish takes the next version of the topic, then one task
 * per event loop that holds subscribers (like the gateway's one message per node) writes the notify to each of
 * them, encoded through {@code JsonObject} per socket, as every socket has its own seq. A socket whose
 * {@code writeQueueFull()} is true gets its notifies queued in memory and written from its {@code drainHandler},
 * in order; nothing is dropped or coalesced.
 *
 * <p>Usage: {@code java -cp tether-bench.jar io.tether.bench.BareNotifyServer [--port 8091]}
 */
public final class BareNotifyServer extends VerticleBase {

  private static final AtomicLong SESSION_IDS = new AtomicLong();
  /** Shared by the verticle instances (one per event loop): topics are process-wide. */
  private static final Map<String, Topic> TOPICS = new ConcurrentHashMap<>();

  private final int port;

  private BareNotifyServer(int port) {
    this.port = port;
  }

  public static void main(String[] argv) {
    Args args = Args.parse(argv, Set.of("--port"), Set.of());
    int port = args.integer("--port", 8091);
    int instances = Runtime.getRuntime().availableProcessors();
    Vertx vertx = Vertx.vertx();
    vertx.deployVerticle(() -> new BareNotifyServer(port), new DeploymentOptions().setInstances(instances))
      .onSuccess(id -> System.out.println("BareNotifyServer listening on 127.0.0.1:" + port + "/ws, instances=" + instances))
      .onFailure(err -> {
        err.printStackTrace();
        System.exit(1);
      });
  }

  @Override
  public Future<?> start() {
    HttpServerOptions options = new HttpServerOptions()
      .setHost("127.0.0.1")
      .setPerMessageWebSocketCompressionSupported(false)
      .setPerFrameWebSocketCompressionSupported(false)
      .setMaxWebSocketFrameSize(64 * 1024);
    return vertx.createHttpServer(options)
      .webSocketHandler(ws -> {
        if (!"/ws".equals(ws.path())) {
          ws.close((short) 1008, "unknown path");
          return;
        }
        new Session(ws, vertx.getOrCreateContext()).attach();
      })
      .listen(port);
  }

  /** One topic: its version counter, latest value, and its subscribers grouped by event loop. */
  private static final class Topic {
    final String name;
    final AtomicLong version = new AtomicLong();
    volatile JsonObject latest;
    final Map<Context, List<Session>> byContext = new ConcurrentHashMap<>();

    Topic(String name) {
      this.name = name;
    }

    /** Called on the publisher's event loop; the per-context tasks run in publish order on each loop. */
    long publish(JsonObject body) {
      long v;
      synchronized (this) { // version order = task order on every loop
        v = version.incrementAndGet();
        latest = body;
        for (Map.Entry<Context, List<Session>> e : byContext.entrySet()) {
          List<Session> subs = e.getValue();
          e.getKey().runOnContext(x -> {
            for (Session s : subs) {
              s.notify(name, v, body);
            }
          });
        }
      }
      return v;
    }
  }

  private record Pending(String topic, long version, JsonObject body) {
  }

  /** One connection. All methods run on its event loop. */
  private static final class Session {
    private final ServerWebSocket ws;
    private final Context ctx;
    private final ArrayDeque<Pending> pending = new ArrayDeque<>();
    private final List<Topic> subscribed = new ArrayList<>();
    private long nextSeq = 1;
    private long lastClientSeq;

    Session(ServerWebSocket ws, Context ctx) {
      this.ws = ws;
      this.ctx = ctx;
    }

    void attach() {
      ws.textMessageHandler(this::onText);
      ws.exceptionHandler(err -> ws.close());
      ws.closeHandler(v -> {
        for (Topic t : subscribed) {
          List<Session> subs = t.byContext.get(ctx);
          if (subs != null) {
            subs.remove(this);
          }
        }
        pending.clear();
      });
    }

    private void onText(String text) {
      JsonObject frame;
      try {
        frame = new JsonObject(text);
      } catch (RuntimeException malformed) {
        ws.writeTextMessage(new JsonObject().put("type", "error").put("code", "bad_frame").put("fatal", false).encode());
        return;
      }
      switch (frame.getString("type", "")) {
        case "hello" -> ws.writeTextMessage(new JsonObject()
          .put("type", "welcome").put("sessionId", "bare-" + SESSION_IDS.incrementAndGet()).put("resumeToken", "bare")
          .put("heartbeatMs", 25_000).put("resumeWindowMs", 120_000).put("node", "bare").encode());
        case "subscribe" -> onSubscribe(frame);
        case "request" -> onRequest(frame);
        case "ping" -> ws.writeTextMessage(new JsonObject().put("type", "pong").put("ack", lastClientSeq).encode());
        default -> { } // ack, pong: nothing is buffered here
      }
    }

    private void onSubscribe(JsonObject frame) {
      lastClientSeq = Math.max(lastClientSeq, frame.getLong("seq", 0L));
      String name = frame.getString("topic", "");
      Topic topic = TOPICS.computeIfAbsent(name, Topic::new);
      synchronized (topic) { // not between a publish's version and its tasks
        // A plain ArrayList per loop: only this loop reads or changes it (publish iterates it inside a task here).
        topic.byContext.computeIfAbsent(ctx, c -> new ArrayList<>()).add(this);
      }
      subscribed.add(topic);
      ws.writeTextMessage(new JsonObject().put("type", "ack").put("ack", lastClientSeq).encode());
      long current = topic.version.get();
      if (current > frame.getLong("version", 0L) && topic.latest != null) {
        notify(name, current, topic.latest);
      }
    }

    private void onRequest(JsonObject request) {
      lastClientSeq = Math.max(lastClientSeq, request.getLong("seq", 0L));
      int stream = request.getInteger("stream", 1);
      JsonObject body = request.getJsonObject("body", new JsonObject());
      if (!"demo.publish".equals(request.getString("address"))) {
        ws.writeTextMessage(new JsonObject()
          .put("type", "response").put("seq", nextSeq++).put("stream", stream).put("ok", false)
          .put("error", new JsonObject().put("code", "no_handler").put("message", "bare notify server only knows demo.publish"))
          .put("fin", true).encode());
        return;
      }
      JsonObject value = body.getJsonObject("body", new JsonObject());
      long version = TOPICS.computeIfAbsent(body.getString("topic", ""), Topic::new).publish(value);
      ws.writeTextMessage(new JsonObject()
        .put("type", "response").put("seq", nextSeq++).put("stream", stream).put("ok", true)
        .put("body", new JsonObject().put("version", version)).put("fin", true).encode());
    }

    void notify(String topic, long version, JsonObject body) {
      if (!pending.isEmpty() || ws.writeQueueFull()) {
        pending.add(new Pending(topic, version, body));
        if (pending.size() == 1) {
          ws.drainHandler(v -> drain());
        }
        return;
      }
      write(topic, version, body);
    }

    private void drain() {
      while (!pending.isEmpty() && !ws.writeQueueFull()) {
        Pending p = pending.poll();
        write(p.topic(), p.version(), p.body());
      }
      if (pending.isEmpty()) {
        ws.drainHandler(null);
      }
    }

    private void write(String topic, long version, JsonObject body) {
      ws.writeTextMessage(new JsonObject()
        .put("type", "notify").put("seq", nextSeq++).put("topic", topic).put("version", version).put("body", body)
        .encode());
    }
  }
}
