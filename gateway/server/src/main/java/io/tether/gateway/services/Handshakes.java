package io.tether.gateway.services;

import io.tether.gateway.routing.NodeOp;
import io.tether.gateway.session.Session;
import io.tether.gateway.session.SessionPort;
import io.tether.gateway.session.SessionState;
import io.tether.gateway.session.Tokens;
import io.tether.gateway.session.Transport;
import io.tether.gateway.store.PendingRequest;
import io.tether.gateway.store.ResumeOp;
import io.tether.gateway.store.SessionRecord;
import io.tether.protocol.Frame;
import io.tether.protocol.ResumeFailReason;
import io.vertx.core.Context;
import io.vertx.core.Future;
import java.util.Set;
import java.util.function.BooleanSupplier;

/**
 * The two ways a socket gets a session (docs/PROTOCOL.md §2): {@code hello} creates one (ending the client's older
 * session), {@code resume} takes one over from the store on any node, replaying what the client missed.
 */
public final class Handshakes {

  /** Failure of a resume, carrying the reason sent to the client. */
  public static final class ResumeRefused extends RuntimeException {
    private final ResumeFailReason reason;

    ResumeRefused(ResumeFailReason reason) {
      super(reason.wire(), null, false, false);
      this.reason = reason;
    }

    public ResumeFailReason reason() {
      return reason;
    }
  }

  private final NodeCore core;
  private final SessionPort port;
  private final Presence presence;
  private final SessionEnds ends;
  private final TopicFanout topics;
  private final BackendDispatch backends;
  private final BooleanSupplier draining;

  Handshakes(NodeCore core, SessionPort port, Presence presence, SessionEnds ends, TopicFanout topics,
      BackendDispatch backends, BooleanSupplier draining) {
    this.core = core;
    this.port = port;
    this.presence = presence;
    this.ends = ends;
    this.topics = topics;
    this.backends = backends;
    this.draining = draining;
  }

  /** Creates a session for a {@code hello}, sends {@code welcome}, and ends the client's older session. */
  public Future<Session> hello(Context ctx, Transport transport, Frame.Hello hello) {
    String sessionId = Tokens.sessionId();
    String token = Tokens.resumeToken();
    String attrs = hello.attrs() == null ? null : hello.attrs().json();
    var o = core.options();
    SessionRecord record = SessionRecord.create(hello.clientId(), Tokens.hash(token), core.instance(),
        o.getResumeWindowMs(), o.getBufferMaxFrames(), o.getBufferMaxBytes(), attrs);
    return core.store().create(sessionId, record)
        .compose(v -> presence.claim(hello.clientId(), sessionId, attrs))
        .map(previous -> {
          Session s = Session.create(port, ctx, sessionId, hello.clientId(), transport);
          core.local().add(s);
          s.send(new Frame.Welcome(sessionId, token, o.getHeartbeatMs(), o.getResumeWindowMs(), core.nodeId()));
          if (draining.getAsBoolean()) {
            s.send(new Frame.Reconnect("shutdown"));
          }
          presence.online(hello.clientId(), sessionId);
          if (previous != null && !sessionId.equals(previous.sessionId())
              && !SessionState.CLOSED.name().equals(previous.state())) {
            ends.end(previous.sessionId(), "replaced", 0);
          }
          return s;
        });
  }

  /**
   * Resumes a session on this node: the store checks the token and window, takes the session over (fencing any
   * previous owner by epoch) and returns what the client missed, which is replayed after {@code resumed}.
   */
  public Future<Session> resume(Context ctx, Transport transport, Frame.Resume resume) {
    String sessionId = resume.sessionId();
    String token = Tokens.resumeToken();
    ResumeOp op = new ResumeOp(Tokens.hash(resume.resumeToken()), Tokens.hash(token), core.instance(),
        resume.lastSeq(), System.currentTimeMillis(), core.store().liveNodes());
    return core.store().resume(sessionId, op).compose(outcome -> {
      if (outcome.failure() != null) {
        core.metrics().resumeFailed(outcome.failure().wire());
        return Future.failedFuture(new ResumeRefused(outcome.failure()));
      }
      Session s = Session.resumed(port, ctx, sessionId, transport, outcome, resume.lastSeq());
      Session old = core.local().add(s);
      if (old != null) {
        old.run(() -> {
          old.fence();
          return Future.succeededFuture();
        });
      }
      String previousOwner = outcome.previousOwner();
      if (previousOwner != null && !core.instance().equals(previousOwner)) {
        // The store already refuses the old owner's writes; this makes it drop the socket now, not at its next write.
        core.router().forward(previousOwner, new NodeOp.Fence(sessionId, outcome.epoch(), 1));
      }
      s.send(new Frame.Resumed(sessionId, token, outcome.inSeq(), core.nodeId()));
      s.replay(outcome.missed());
      // Requests acknowledged by a node that has since left the cluster: nobody waits for their replies any more.
      for (PendingRequest p : outcome.redispatch()) {
        backends.redispatch(s, p.frame());
      }
      // A dispatcher that left while the resume was under way: its departure event may have come before this session
      // was registered here.
      Set<String> live = core.store().liveNodes();
      s.redispatchUnless(live::contains);
      if (draining.getAsBoolean()) {
        s.send(new Frame.Reconnect("shutdown"));
      }
      core.metrics().resumed();
      presence.changed(outcome.clientId(), sessionId, SessionState.ONLINE);
      for (String topic : outcome.subscriptions().keySet()) {
        topics.follow(s, topic);
      }
      return Future.succeededFuture(s);
    });
  }
}
