package io.tether.gateway.routing;

import io.tether.gateway.api.BackendFailure;
import io.tether.gateway.session.LocalSessions;
import io.tether.gateway.session.Session;
import io.tether.gateway.store.AppendOp;
import io.tether.gateway.store.AppendOutcome;
import io.tether.gateway.store.ClusterStore;
import io.tether.protocol.FrameTemplate;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.eventbus.ReplyFailure;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Where a session is, and getting an operation there (docs/ARCHITECTURE.md "Routing"): attached here (served
 * through its object), attached to another node (the operation is forwarded to that node's {@link NodeEndpoint}),
 * or detached in the store. Every outcome is a value ({@link Location}, or a failure whose {@link BackendFailure}
 * says whether to try again); one loop follows a session that keeps moving, at most {@link #MAX_HOPS} times.
 */
public final class Router {

  /**
   * How long a node waits for another node to answer a forwarded operation (they answer once the frames are stored,
   * normally in milliseconds). A message to a node that just died can vanish without a failure; after this long the
   * sender checks whether that node is still a member.
   */
  static final long NODE_OP_TIMEOUT_MS = 5_000;
  /** A forwarded operation follows a moving session at most this many times. */
  static final int MAX_HOPS = 3;
  /** Looks at a session that is attaching or detaching on this very node at most this many times. */
  private static final int MAX_LOCAL_RETRIES = 5;

  /** Where a session is, as far as this node can tell right now. */
  public sealed interface Location {
    /** Attached to this node. */
    record Here(Session session) implements Location {
    }

    /** Attached to another node, by its instance id. */
    record OnNode(String instance) implements Location {
    }

    /** Attached nowhere: detached (in the store), ended or unknown. */
    record Nowhere() implements Location {
    }
  }

  private static final Location NOWHERE = new Location.Nowhere();

  private final Vertx vertx;
  private final String instance;
  private final LocalSessions local;
  private final ClusterStore store;
  /** Operations forwarded to another node and not answered yet, by that node's instance. */
  private final Map<String, Set<Promise<Object>>> forwardsTo = new ConcurrentHashMap<>();
  /** Told (sessionId, clientId) when this node detached a session in the store because its node had left. */
  private volatile OrphanListener orphanListener = (s, c, d) -> { };

  /** Told when this node detached a session in the store because its node (instance {@code dead}) had left. */
  public interface OrphanListener {
    void orphaned(String sessionId, String clientId, String dead);
  }

  public Router(Vertx vertx, String instance, LocalSessions local, ClusterStore store) {
    this.vertx = vertx;
    this.instance = instance;
    this.local = local;
    this.store = store;
  }

  public String instance() {
    return instance;
  }

  /** Called when this node detaches a session whose node left the cluster (presence then says DETACHED). */
  public void onOrphaned(OrphanListener listener) {
    this.orphanListener = listener;
  }

  /** Where the session is: here, on another node, or nowhere (one store read when it is not here). */
  public Future<Location> locate(String sessionId) {
    Session s = local.get(sessionId);
    if (s != null) {
      return Future.succeededFuture(new Location.Here(s));
    }
    return store.owner(sessionId).map(owner -> owner == null || instance.equals(owner) ? NOWHERE
        : new Location.OnNode(owner));
  }

  // ---------------------------------------------------------------------------------------------------------
  // Reliable frames

  /**
   * Delivers reliable frames, all or none, in order, wherever the session is: through its socket if it is attached
   * here, through its node if it is attached elsewhere, else appended to its buffer in the store (numbered there).
   * Completes with the last frame's seq once the frames are durable.
   */
  public Future<Long> deliver(String sessionId, List<FrameTemplate> frames, long completesStream,
      long requireOpenStream, String sendId) {
    return deliver(new NodeOp.Deliver(sessionId, frames, completesStream, requireOpenStream, sendId, 0));
  }

  /** Delivers {@code op} (built here, or forwarded by another node, which counted its hops). */
  public Future<Long> deliver(NodeOp.Deliver op) {
    return deliver(op, 0);
  }

  private Future<Long> deliver(NodeOp.Deliver op, int localRetries) {
    Session s = local.get(op.sessionId());
    Future<Long> here = s == null ? null : s.run(() -> s.attached()
        ? s.enqueue(op.frames(), op.completesStream(), op.requireOpenStream(), op.sendId())
        : Future.succeededFuture(null));
    return (here == null ? Future.<Long>succeededFuture(null) : here)
        .compose(seq -> seq != null ? Future.succeededFuture(seq) : deliverNotHere(op, localRetries))
        .recover(e -> moved(e) && op.hops() < MAX_HOPS ? deliver(op.next(), localRetries) : Future.failedFuture(e));
  }

  /** The session is not attached here: append it in the store if it is detached, else forward to its node. */
  private Future<Long> deliverNotHere(NodeOp.Deliver op, int localRetries) {
    List<String> prefixes = new ArrayList<>(op.frames().size());
    List<String> suffixes = new ArrayList<>(op.frames().size());
    for (FrameTemplate t : op.frames()) {
      prefixes.add(t.prefix());
      suffixes.add(t.suffix());
    }
    AppendOp append = new AppendOp(prefixes, suffixes, op.completesStream(), op.sendId());
    return store.append(op.sessionId(), append).compose(outcome -> {
      if (outcome.failure() != null) {
        return Future.failedFuture(refusal(outcome));
      }
      if (outcome.owner() == null) {
        return Future.succeededFuture(outcome.seq());
      }
      if (instance.equals(outcome.owner())) {
        // Attached here a moment ago and detaching, or attaching right now: look again shortly.
        if (localRetries >= MAX_LOCAL_RETRIES) {
          return Future.failedFuture(BackendFailure.UNAVAILABLE.refuse("the session is moving; try again"));
        }
        return vertx.timer(5L << localRetries).compose(v -> deliver(op, localRetries + 1));
      }
      return forward(outcome.owner(), op.next()).map(reply -> ((JsonObject) reply).getLong("seq"));
    });
  }

  /**
   * The session is gone (unknown, closed, or expired: its window ran out, or its buffer overflowed while it was
   * detached). Not retryable: no later send can reach it (docs/PROTOCOL.md §3, §8).
   */
  private static BackendFailure.Refusal refusal(AppendOutcome outcome) {
    String failure = outcome.failure();
    return BackendFailure.NO_SESSION.refuse("unknown".equals(failure) ? "no such session"
        : "the session expired (" + failure + ")" + ("overflow".equals(failure)
            ? ": its buffer overflowed while it was detached" : ""));
  }

  /** The session moved while the operation was on its way (taken over, or its node left): look for it again. */
  private static boolean moved(Throwable e) {
    return e instanceof BackendFailure.Refusal r && r.failure() == BackendFailure.UNAVAILABLE;
  }

  // ---------------------------------------------------------------------------------------------------------
  // Forwarding to another node

  /**
   * Sends an operation to the node a session is attached to. If that node is no longer a cluster member, the session
   * is detached in the store at once (its node cannot do it any more) and the failure is {@code UNAVAILABLE}: the
   * caller's next attempt finds it detached.
   */
  public Future<Object> forward(String owner, NodeOp op) {
    if (op.hops() > MAX_HOPS) {
      return Future.failedFuture(BackendFailure.UNAVAILABLE.refuse("the session keeps moving; try again"));
    }
    if (!store.liveNodes().contains(owner)) {
      return ownerLeft(op.sessionId(), owner);
    }
    // Completed by the owner's reply, or failed at once if the owner leaves the cluster first (its reply is lost
    // then, and waiting for the timeout would only delay the caller's retry).
    Promise<Object> answered = Promise.promise();
    Set<Promise<Object>> waiting = forwardsTo.computeIfAbsent(owner, o -> ConcurrentHashMap.newKeySet());
    waiting.add(answered);
    long timeout = op instanceof NodeOp.Ask ask ? ask.timeoutMs() + NODE_OP_TIMEOUT_MS : NODE_OP_TIMEOUT_MS;
    vertx.eventBus().request(NodeEndpoint.address(owner), NodeOpCodec.encode(op),
            new DeliveryOptions().setSendTimeout(timeout))
        .onComplete(ar -> {
          waiting.remove(answered);
          if (ar.succeeded()) {
            answered.tryComplete(ar.result().body());
          } else {
            answered.tryFail(ar.cause());
          }
        });
    return answered.future().recover(e -> {
      if (e instanceof ReplyException re && re.failureType() == ReplyFailure.RECIPIENT_FAILURE) {
        return Future.failedFuture(e); // the owner answered: its verdict stands
      }
      if (!store.liveNodes().contains(owner)) {
        return ownerLeft(op.sessionId(), owner);
      }
      return Future.failedFuture(e instanceof ReplyException re && re.failureType() == ReplyFailure.NO_HANDLERS
          ? BackendFailure.UNAVAILABLE.refuse("the session's node " + owner + " is unreachable")
          : e);
    });
  }

  /** The session's owner is no longer a cluster member: detach the session in the store; the caller retries. */
  private Future<Object> ownerLeft(String sessionId, String owner) {
    return store.orphan(sessionId, owner, System.currentTimeMillis()).compose(clientId -> {
      if (clientId != null) {
        orphanListener.orphaned(sessionId, clientId, owner);
      }
      return Future.failedFuture(BackendFailure.UNAVAILABLE.refuse("the session's node " + owner
          + " left the cluster; try again"));
    });
  }

  /** A member left: operations forwarded to it fail at once (retryable), rather than wait for their timeout. */
  public void nodeLeft(String dead) {
    Set<Promise<Object>> lost = forwardsTo.remove(dead);
    if (lost != null) {
      ReplyException gone = new ReplyException(ReplyFailure.NO_HANDLERS, "node " + dead + " left the cluster");
      lost.forEach(p -> p.tryFail(gone));
    }
  }
}
