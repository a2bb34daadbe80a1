package io.tether.gateway.services;

import io.tether.gateway.api.BackendFailure;
import io.tether.gateway.routing.NodeOp;
import io.tether.gateway.routing.Router;
import io.tether.gateway.session.Session;
import io.tether.protocol.Frame;
import io.tether.protocol.RawJson;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.eventbus.ReplyFailure;
import io.vertx.core.internal.ContextInternal;
import io.vertx.core.json.Json;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Server-initiated requests (docs/PROTOCOL.md §5, {@code gateway.request}): a request to the client on a new even
 * stream, and the backend's future completed by the client's answer, an error, a timeout, or the session leaving.
 * At most {@code maxPendingRequests} are open per session.
 */
final class ServerRequests {

  private record Pending(Promise<Object> promise, long timerId) {
  }

  private final NodeCore core;
  /** sessionId/stream → the backend waiting for the answer. */
  private final Map<String, Pending> pending = new ConcurrentHashMap<>();

  ServerRequests(NodeCore core) {
    this.core = core;
  }

  /** Asks the client wherever it is attached; fails with 503 when it is attached nowhere. */
  Future<Object> ask(String sessionId, String address, String bodyJson, long timeoutMs, int hops) {
    return core.router().locate(sessionId).compose(where -> {
      if (where instanceof Router.Location.Here here) {
        return here.session().run(() -> askHere(here.session(), address, bodyJson, timeoutMs));
      }
      if (where instanceof Router.Location.OnNode node) {
        return core.router().forward(node.instance(), new NodeOp.Ask(sessionId, address, bodyJson, timeoutMs,
            hops + 1));
      }
      return Future.failedFuture(BackendFailure.UNAVAILABLE.refuse("the client is not connected"));
    });
  }

  /** On the session's context: sends the request frame and waits for the answer. */
  private Future<Object> askHere(Session s, String address, String bodyJson, long timeoutMs) {
    int max = core.options().getMaxPendingRequests();
    if (!s.openServerRequest(max)) {
      return Future.failedFuture(BackendFailure.RATE_LIMITED.refuse("the client has " + max
          + " requests open (the most it may have)"));
    }
    // Twice the seq the frame gets: unique per session, even (server-initiated).
    long stream = 2 * s.nextSeq();
    String key = s.id() + "/" + stream;
    Promise<Object> promise = ((ContextInternal) s.context()).promise();
    long timer = core.vertx().setTimer(timeoutMs, t -> {
      if (pending.remove(key) != null) {
        promise.tryFail(BackendFailure.CLIENT_TIMEOUT.refuse("the client did not answer in time"));
      }
    });
    pending.put(key, new Pending(promise, timer));
    Frame.Request request = new Frame.Request(0, stream, address, RawJson.of(bodyJson));
    s.enqueue(core.codec().template(request), 0).onFailure(e -> {
      pending.remove(key);
      core.vertx().cancelTimer(timer);
      promise.tryFail(e);
    });
    return promise.future().onComplete(ar -> s.serverRequestClosed());
  }

  /** The client answered a server-initiated request (on the session's context). */
  void answered(Session s, Frame.Response r) {
    Pending p = pending.remove(s.id() + "/" + r.stream());
    if (p == null) {
      return; // answered already, or timed out
    }
    core.vertx().cancelTimer(p.timerId());
    if (r.ok()) {
      p.promise().tryComplete(r.body() == null ? null : Json.decodeValue(r.body().json()));
    } else {
      Frame.ErrorInfo e = r.error();
      p.promise().tryFail(BackendFailure.CLIENT_ERROR.refuse((e.code() == null ? "error" : e.code())
          + (e.message() == null ? "" : ": " + e.message())));
    }
  }

  /**
   * The session left this node: its answers will arrive wherever it goes next, where nobody waits for them. Fail the
   * waiting backends now with a retryable 503 rather than let them time out.
   */
  void sessionLeft(Session s) {
    if (s.openServerRequests() == 0) {
      return;
    }
    String prefix = s.id() + "/";
    pending.keySet().removeIf(key -> {
      if (!key.startsWith(prefix)) {
        return false;
      }
      Pending p = pending.get(key);
      if (p != null) {
        core.vertx().cancelTimer(p.timerId());
        p.promise().tryFail(BackendFailure.UNAVAILABLE.refuse(
            "the client moved to another connection before answering; ask again"));
      }
      return true;
    });
  }
}
