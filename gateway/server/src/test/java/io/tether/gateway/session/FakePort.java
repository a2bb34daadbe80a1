package io.tether.gateway.session;

import io.tether.gateway.config.GatewayOptions;
import io.tether.gateway.metrics.GatewayMetrics;
import io.tether.gateway.store.FlushOp;
import io.tether.protocol.ErrorCode;
import io.tether.protocol.Frame;
import io.tether.protocol.FrameCodec;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import java.util.ArrayList;
import java.util.List;

/**
 * A {@link SessionPort} with a fake store: each write waits in {@link #writes} until the test answers it, so a test
 * sees exactly what the session does before and after its data is durable. Records what the session asks of the
 * node. Used on the session's context only.
 */
final class FakePort implements SessionPort {

  /** One store write the session asked for, answered by the test. */
  record Write(FlushOp op, Promise<Integer> answer) {
    void ok() {
      answer.complete(FlushOp.OK);
    }
  }

  final Vertx vertx;
  final GatewayOptions options;
  final FrameCodec codec = new FrameCodec();
  final List<Write> writes = new ArrayList<>();
  final List<Frame.Request> dispatched = new ArrayList<>();
  final List<String> followed = new ArrayList<>();
  final List<String> events = new ArrayList<>();
  /** Topics the node refuses. */
  String refusedTopic = "secret";
  /** The node's budget (unbounded unless a test sets a smaller one). */
  NodeBuffer nodeBuffer = new NodeBuffer(Long.MAX_VALUE, () -> { });

  FakePort(Vertx vertx, GatewayOptions options) {
    this.vertx = vertx;
    this.options = options;
  }

  @Override
  public GatewayOptions options() {
    return options;
  }

  @Override
  public FrameCodec codec() {
    return codec;
  }

  @Override
  public GatewayMetrics metrics() {
    return GatewayMetrics.NOOP;
  }

  @Override
  public String instance() {
    return "node-a~test";
  }

  @Override
  public void setTimer(long delayMs, Runnable action) {
    vertx.setTimer(delayMs, id -> action.run());
  }

  @Override
  public Future<Integer> write(String sessionId, FlushOp op) {
    Promise<Integer> p = Promise.promise();
    writes.add(new Write(op, p));
    return p.future();
  }

  @Override
  public Frame.ErrorInfo checkAddress(Frame.Request request) {
    return request.address().startsWith("denied.")
        ? new Frame.ErrorInfo(ErrorCode.NOT_ALLOWED.wire(), "address not allowed") : null;
  }

  @Override
  public Future<io.tether.gateway.auth.Grant> authenticate(Session session, String token) {
    return Future.succeededFuture(session.grant());
  }

  @Override
  public boolean topicAllowed(String topic) {
    return !topic.equals(refusedTopic);
  }

  @Override
  public void dispatch(Session session, Frame.Request request) {
    dispatched.add(request);
  }

  @Override
  public void redispatch(Session session, Frame.Request request) {
    dispatched.add(request);
  }

  @Override
  public void answered(Session session, Frame.Response response) {
    events.add("answered " + response.stream());
  }

  @Override
  public void follow(Session session, String topic) {
    followed.add(topic);
  }

  @Override
  public void unfollow(Session session, String topic) {
    events.add("unfollow " + topic);
  }

  @Override
  public void heartbeat(Session session, String attrs) {
    events.add("heartbeat");
  }

  @Override
  public Future<Void> stateChanged(Session session, SessionState state) {
    events.add("state " + state);
    return Future.succeededFuture();
  }

  @Override
  public void released(Session session) {
    events.add("released");
  }

  @Override
  public Future<Void> ended(Session session, String reason) {
    events.add("ended " + reason);
    return Future.succeededFuture();
  }

  @Override
  public void respondElsewhere(String sessionId, Frame.Response response) {
    events.add("respondElsewhere " + response.stream());
  }

  @Override
  public NodeBuffer nodeBuffer() {
    return nodeBuffer;
  }
}
