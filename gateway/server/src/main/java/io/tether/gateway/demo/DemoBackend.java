package io.tether.gateway.demo;

import io.tether.gateway.api.BackendFailure;
import io.tether.gateway.api.GatewayApi;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.EventBus;
import io.vertx.core.eventbus.Message;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.eventbus.ReplyFailure;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.function.Predicate;
import java.util.function.Supplier;

/**
 * The demo backend (docs/PROTOCOL.md §9), deployed with {@code --demo}. It uses only the public event-bus API of
 * the gateway, as a user's own verticle would, so it doubles as an example of one.
 */
public final class DemoBackend extends VerticleBase {

  /** Pushes are sent in batches of this many ({@code gateway.send} with {@code bodies}). */
  static final int PUSH_BATCH = 100;
  /** Largest {@code count} demo.push accepts. */
  static final int MAX_PUSH_COUNT = 1_000_000;
  /** How long demo.push keeps retrying while the client's buffer is full (it waits for the client's acks). */
  static final long PUSH_PATIENCE_MS = 30_000;
  /** How long the client gets to answer one demo.question; the whole demo.ask keeps trying for PUSH_PATIENCE_MS. */
  static final long ASK_TIMEOUT_MS = 3_000;
  /** Timeout of one gateway.send; a timed-out batch is sent again within {@link #PUSH_PATIENCE_MS}. */
  static final long SEND_TIMEOUT_MS = 2_000;
  /** Request ids remembered for de-duplication (docs/ARCHITECTURE.md "Crash recovery"). */
  static final int REMEMBERED_REQUESTS = 10_000;

  /**
   * Inside a gateway node the demo talks to that node's bridge; the event bus would otherwise pick any node's bridge
   * in turn, and that node would have to forward to the session's node. As a backend in its own process
   * ({@code --backend-only}) it sends cluster-wide and any gateway node routes for it.
   */
  private final DeliveryOptions gateway;
  /**
   * For gateway.request: a little longer than the time the gateway gives the client to answer, so the gateway's
   * verdict comes first; a lost call (the node serving it died) times out and is asked again.
   */
  private final DeliveryOptions askDelivery;
  /**
   * gateway.requestId → the outcome of that request. A request the gateway dispatches again after a node crash
   * carries the same id: it joins the first execution instead of pushing everything twice. Bounded, oldest first.
   */
  private final Map<String, Future<?>> seen = new LinkedHashMap<>(16, 0.75f, false) {
    @Override
    protected boolean removeEldestEntry(Map.Entry<String, Future<?>> eldest) {
      return size() > REMEMBERED_REQUESTS;
    }
  };

  /** @param insideGateway true when deployed in a gateway node (talk to its own bridge) */
  public DemoBackend(boolean insideGateway) {
    // A short timeout: right after a node crash the event bus may hand a message to the dead node's bridge, where it
    // vanishes without a failure; the push is then retried (docs/ARCHITECTURE.md "Crash recovery").
    this.gateway = new DeliveryOptions().setLocalOnly(insideGateway).setSendTimeout(SEND_TIMEOUT_MS);
    this.askDelivery = new DeliveryOptions().setLocalOnly(insideGateway).setSendTimeout(ASK_TIMEOUT_MS + 1_000);
  }

  @Override
  public Future<?> start() {
    EventBus bus = vertx.eventBus();
    return Future.all(List.of(
        bus.consumer("demo.echo", m -> m.reply(m.body())).completion(),
        bus.<JsonObject>consumer("demo.push", this::push).completion(),
        bus.<JsonObject>consumer("demo.publish", this::publish).completion(),
        bus.<JsonObject>consumer("demo.related", this::related).completion(),
        bus.<JsonObject>consumer("demo.ask", this::ask).completion(),
        bus.<JsonObject>consumer(GatewayApi.AUTH, DemoAuthenticator::authenticate).completion()));
  }

  private static JsonObject body(Message<JsonObject> m) {
    return m.body() == null ? new JsonObject() : m.body();
  }

  /**
   * Runs {@code work} once per gateway.requestId: a re-dispatched request gets the outcome of the first execution
   * (waiting for it if it is still running). A failed execution is forgotten, so a retry runs again.
   */
  private Future<?> once(Message<JsonObject> m, Supplier<Future<?>> work) {
    String requestId = m.headers().get(GatewayApi.HEADER_REQUEST_ID);
    if (requestId == null) {
      return work.get();
    }
    Future<?> earlier = seen.get(requestId);
    if (earlier != null) {
      return earlier;
    }
    Future<?> result = work.get();
    seen.put(requestId, result);
    result.onFailure(e -> seen.remove(requestId, result));
    return result;
  }

  private static void relay(Message<JsonObject> m, Future<?> result) {
    result.onSuccess(m::reply).onFailure(e -> {
      if (e instanceof ReplyException re) {
        m.fail(re.failureCode(), re.getMessage());
      } else {
        m.fail(500, String.valueOf(e.getMessage()));
      }
    });
  }

  /**
   * {@code {"count":n,"to"?:clientId,"qos"?:1,"tag"?:any}}: pushes {@code {"n":1..n}} in order (each with the
   * request's {@code tag}, when it has one, so a client can tell the pushes of two requests apart); replies
   * {@code {"sent":n}}.
   */
  private void push(Message<JsonObject> m) {
    JsonObject req = body(m);
    Integer count = req.getInteger("count");
    // Pushes for the caller go to the caller's session, not to its clientId: if that session is lost and the client
    // starts a new one (re-sync), the old request's pushes must not land in the new session, whose requests they do
    // not belong to (DoubleCrashFaultTest saw them as duplicates). "to" names another client, by clientId.
    String to = req.getString("to");
    String key = to != null ? "clientId" : "sessionId";
    if (to == null) {
      to = m.headers().get(GatewayApi.HEADER_SESSION_ID);
    }
    int qos = req.getInteger("qos", 1);
    Object tag = req.getValue("tag");
    if (count == null || count < 1 || count > MAX_PUSH_COUNT) {
      m.fail(400, "count must be an integer from 1 to " + MAX_PUSH_COUNT);
      return;
    }
    if (to == null) {
      m.fail(400, "to is required when the caller is not a client");
      return;
    }
    // Each batch carries an idempotency key, so a batch sent again after a lost reply is not delivered twice.
    String run = m.headers().get(GatewayApi.HEADER_REQUEST_ID) != null
        ? m.headers().get(GatewayApi.HEADER_REQUEST_ID) : UUID.randomUUID().toString();
    String target = to;
    PushRun push = new PushRun(run, new JsonObject().put(key, to).put("qos", qos), tag, count,
        System.currentTimeMillis() + PUSH_PATIENCE_MS);
    relay(m, once(m, () -> pushBatch(push, 1).map(v -> new JsonObject().put("sent", count))));
  }

  /** One demo.push: its idempotency prefix, the target and qos of every batch, the pushes' tag, and its patience. */
  private record PushRun(String run, JsonObject target, Object tag, int count, long deadline) {
  }

  private Future<Void> pushBatch(PushRun push, int from) {
    if (from > push.count()) {
      return Future.succeededFuture();
    }
    int until = Math.min(push.count(), from + PUSH_BATCH - 1);
    JsonArray bodies = new JsonArray();
    for (int n = from; n <= until; n++) {
      JsonObject body = new JsonObject().put("n", n);
      if (push.tag() != null) {
        body.put("tag", push.tag());
      }
      bodies.add(body);
    }
    JsonObject send = push.target().copy().put("bodies", bodies).put("id", push.run() + "/" + from);
    // BUFFER_FULL: wait for the client's acks to make room. UNAVAILABLE: the session is between nodes (its node just
    // left the cluster, or it is moving). INTERNAL: the session's store write failed, perhaps after it was applied
    // (a split, a member leaving). A timeout: the batch went to a node that just died. The batch's id makes a
    // repeat harmless if the first attempt did land.
    return retryWithin(push.deadline(), 20, DemoBackend::worthRetrying,
        () -> vertx.eventBus().request(GatewayApi.SEND, send, gateway))
        .compose(reply -> pushBatch(push, until + 1));
  }

  /**
   * The gateway's API says the same call may succeed if tried again ({@link BackendFailure#retryable()}), or the call
   * got no answer in time (the node serving it died, or is cut off).
   */
  private static boolean worthRetrying(ReplyException e) {
    BackendFailure failure = BackendFailure.of(e);
    return failure != null ? failure.retryable() : e.failureType() == ReplyFailure.TIMEOUT;
  }

  /** Calls {@code call} until it succeeds, fails in a way {@code retry} refuses, or {@code deadline} passes. */
  private <T> Future<T> retryWithin(long deadline, long pauseMs, Predicate<ReplyException> retry,
      Supplier<Future<T>> call) {
    return call.get().recover(e -> e instanceof ReplyException re && retry.test(re)
        && System.currentTimeMillis() < deadline
        ? vertx.timer(pauseMs).compose(v -> retryWithin(deadline, pauseMs, retry, call))
        : Future.failedFuture(e));
  }

  private void publish(Message<JsonObject> m) {
    relay(m, vertx.eventBus().request(GatewayApi.PUBLISH, body(m), gateway).map(r -> r.body()));
  }

  /** {@code {"id":…}}: pushes related resources {@code a} and {@code b} on the request's stream, then answers. */
  private void related(Message<JsonObject> m) {
    Object id = body(m).getValue("id");
    String sessionId = m.headers().get(GatewayApi.HEADER_SESSION_ID);
    String stream = m.headers().get(GatewayApi.HEADER_STREAM);
    if (sessionId == null || stream == null) {
      m.fail(400, "demo.related must be called by a client");
      return;
    }
    relay(m, once(m, () -> {
      Future<?> done = Future.succeededFuture();
      for (String label : List.of("a", "b")) {
        JsonObject send = new JsonObject().put("sessionId", sessionId).put("stream", Long.parseLong(stream))
            .put("resource", label).put("body", new JsonObject().put("id", id).put("resource", label))
            .put("id", m.headers().get(GatewayApi.HEADER_REQUEST_ID) + "/" + label);
        done = done.compose(v -> vertx.eventBus().request(GatewayApi.SEND, send, gateway));
      }
      return done.map(v -> new JsonObject().put("id", id));
    }));
  }

  /** {@code {"body":…}}: asks the caller {@code demo.question} and answers with the client's reply. */
  private void ask(Message<JsonObject> m) {
    String sessionId = m.headers().get(GatewayApi.HEADER_SESSION_ID);
    if (sessionId == null) {
      m.fail(400, "demo.ask must be called by a client");
      return;
    }
    JsonObject question = new JsonObject().put("sessionId", sessionId).put("address", "demo.question")
        .put("body", body(m).getValue("body")).put("timeoutMs", ASK_TIMEOUT_MS);
    // Within the gateway's 30 s default for the client's own request, so the client hears our verdict.
    long deadline = System.currentTimeMillis() + 15_000;
    relay(m, once(m, () -> askUntilAnswered(question, deadline)));
  }

  /**
   * Asks again, within our patience, after every retryable failure: UNAVAILABLE (the question was not delivered,
   * the client was between connections, or the client moved before answering), a client timeout (its answer may
   * have been lost with the node it went to), INTERNAL (the session's store failed), and a call that got no answer
   * (the node serving it died). The client may then see the question twice; it answers both.
   */
  private Future<Object> askUntilAnswered(JsonObject question, long deadline) {
    return retryWithin(deadline, 50, DemoBackend::worthRetrying,
        () -> vertx.eventBus().request(GatewayApi.REQUEST, question, askDelivery).map(r -> r.body()));
  }
}
