package io.tether.gateway.routing;

import io.tether.gateway.api.BackendFailure;
import io.tether.gateway.session.LocalSessions;
import io.tether.gateway.session.Session;
import io.tether.protocol.DecodeResult;
import io.tether.protocol.Frame;
import io.tether.protocol.FrameCodec;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.Message;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.json.JsonObject;

/**
 * This node's internal address, {@code tether.node.<instance>}: the operations other nodes forward for sessions
 * attached here ({@link NodeOp}). Not part of the public API; one consumer per node, none per session.
 */
public final class NodeEndpoint {

  /** What the node's services do with the operations that are theirs (asking the client, ending its session). */
  public interface Services {
    Future<Object> ask(NodeOp.Ask op);

    Future<Void> end(NodeOp.End op);
  }

  private final Vertx vertx;
  private final Router router;
  private final LocalSessions local;
  private final FrameCodec codec;
  private final Services services;

  public NodeEndpoint(Vertx vertx, Router router, LocalSessions local, FrameCodec codec, Services services) {
    this.vertx = vertx;
    this.router = router;
    this.local = local;
    this.codec = codec;
    this.services = services;
  }

  /** The event-bus address on which a node takes operations for the sessions attached to it. */
  public static String address(String instance) {
    return "tether.node." + instance;
  }

  /** Starts listening; completes once the registration is known cluster-wide. */
  public Future<Void> start() {
    MessageConsumer<Object> consumer = vertx.eventBus().consumer(address(router.instance()), this::onMessage);
    return consumer.completion();
  }

  private void onMessage(Message<Object> m) {
    Future<?> result;
    try {
      result = handle(NodeOpCodec.decode(m.body()));
    } catch (NodeOpCodec.MalformedNodeOp e) {
      result = Future.failedFuture(BackendFailure.BAD_MESSAGE.refuse(e.getMessage()));
    }
    result.onComplete(ar -> {
      if (ar.succeeded()) {
        m.reply(ar.result());
      } else {
        ReplyException failure = asReply(ar.cause());
        m.fail(failure.failureCode(), failure.getMessage());
      }
    });
  }

  private Future<?> handle(NodeOp op) {
    if (op instanceof NodeOp.Deliver d) {
      return router.deliver(d).map(seq -> new JsonObject().put("seq", seq));
    }
    if (op instanceof NodeOp.SendVolatile v) {
      Session s = local.get(v.sessionId());
      Frame frame = codec.decode(v.frame()) instanceof DecodeResult.Ok ok ? ok.frame() : null;
      if (s == null || !(frame instanceof Frame.Push push)) {
        return Future.succeededFuture(false);
      }
      return s.run(() -> Future.succeededFuture(s.sendVolatile(push)));
    }
    if (op instanceof NodeOp.Ask a) {
      return services.ask(a);
    }
    if (op instanceof NodeOp.End e) {
      return services.end(e);
    }
    NodeOp.Fence f = (NodeOp.Fence) op;
    Session s = local.get(f.sessionId());
    if (s != null && s.epoch() < f.epoch()) {
      s.run(() -> {
        s.fence();
        return Future.succeededFuture();
      });
    }
    return Future.succeededFuture();
  }

  /** The event-bus failure a caller sees for {@code e}. */
  public static ReplyException asReply(Throwable e) {
    if (e instanceof BackendFailure.Refusal r) {
      return r.toReply();
    }
    return e instanceof ReplyException re ? re : BackendFailure.INTERNAL.toReply(String.valueOf(e.getMessage()));
  }
}
