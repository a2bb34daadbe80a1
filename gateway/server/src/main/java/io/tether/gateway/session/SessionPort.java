package io.tether.gateway.session;

import io.tether.gateway.auth.Grant;
import io.tether.gateway.config.GatewayOptions;
import io.tether.gateway.metrics.GatewayMetrics;
import io.tether.gateway.store.FlushOp;
import io.tether.protocol.Frame;
import io.tether.protocol.FrameCodec;
import io.vertx.core.Future;
import java.util.List;

/**
 * Everything a {@link Session} needs from the node, and all it tells the node: the one way out of this package.
 * The node's services implement it; a unit test implements it with a fake store.
 */
public interface SessionPort {

  GatewayOptions options();

  FrameCodec codec();

  GatewayMetrics metrics();

  /** This process's cluster identity, recorded as the dispatcher of the client requests it forwards. */
  String instance();

  /** Runs {@code action} on the calling session's context after {@code delayMs}. */
  void setTimer(long delayMs, Runnable action);

  /** Writes the session's batched changes to the cluster store: {@link FlushOp#OK}, FENCED or GONE. */
  Future<Integer> write(String sessionId, FlushOp op);

  /** Why the node refuses this client request (its address is not allowed), or null. */
  Frame.ErrorInfo checkAddress(Frame.Request request);

  boolean topicAllowed(String topic);

  /** Checks a credential sent in the session ({@code auth}); fails with an {@code AuthRefused}. */
  Future<Grant> authenticate(Session session, String token);

  /** An accepted, durable client request: forward it to its backend; the answer comes back as {@link Session#respond}. */
  void dispatch(Session session, Frame.Request request);

  /** An accepted request whose dispatcher left the cluster: dispatch it again from here (same request id). */
  void redispatch(Session session, Frame.Request request);

  /**
   * A store write carrying these accepted requests failed without a verdict (it may have been applied): dispatch
   * those the store did record as this node's, or nobody will (docs/RELIABILITY.md "Split brain").
   */
  default void writeUnsure(Session session, List<Frame.Request> requests) {
  }

  /**
   * A byte-stream frame of the client's (docs/PROTOCOL.md §13): {@code open} and {@code data} once durable, in seq
   * order; {@code credit} as it arrives.
   */
  default void stream(Session session, Frame frame) {
  }

  /** The client answered a server-initiated request. */
  void answered(Session session, Frame.Response response);

  /** The client follows {@code topic} (durably): send it the topic's changes, and the latest value if it lacks it. */
  void follow(Session session, String topic);

  void unfollow(Session session, String topic);

  /** A heartbeat, with the client's new attrs (JSON) or null. */
  void heartbeat(Session session, String attrs);

  /** Presence and metrics follow the session's state; completes once the presence record says so. */
  Future<Void> stateChanged(Session session, SessionState state);

  /** The session no longer lives on this node (detached, fenced or ended): forget it and what waits on it here. */
  void released(Session session);

  /** Ends the session for good in the store (bye, replaced, kicked), then presence says CLOSED. */
  Future<Void> ended(Session session, String reason);

  /** A response this session object could not take any more: deliver it wherever the session is now. */
  void respondElsewhere(String sessionId, Frame.Response response);

  /** The node's budget of unacknowledged server bytes, shared by all its sessions (docs/PROTOCOL.md §12). */
  NodeBuffer nodeBuffer();
}
