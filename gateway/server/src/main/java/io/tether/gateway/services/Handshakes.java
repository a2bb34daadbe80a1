package io.tether.gateway.services;

import io.tether.gateway.auth.AuthRefused;
import io.tether.gateway.auth.Authenticator;
import io.tether.gateway.auth.Grant;
import io.tether.gateway.auth.Peer;
import io.tether.gateway.config.GatewayOptions;
import io.tether.gateway.routing.NodeOp;
import io.tether.gateway.session.Session;
import io.tether.gateway.session.SessionPort;
import io.tether.gateway.session.SessionState;
import io.tether.gateway.session.Tokens;
import io.tether.gateway.session.Transport;
import io.tether.gateway.store.PendingRequest;
import io.tether.gateway.store.ResumeOp;
import io.tether.gateway.store.SessionRecord;
import io.tether.protocol.DecodeResult;
import io.tether.protocol.Frame;
import io.tether.protocol.ResumeFailReason;
import io.vertx.core.Context;
import io.tether.protocol.ErrorCode;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import java.util.Set;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;

/**
 * The two ways a socket gets a session (docs/PROTOCOL.md §2): {@code hello} creates one (ending the client's older
 * session), {@code resume} takes one over from the store on any node, replaying what the client missed. Both first
 * check the client's credential with the node's {@link Authenticator}; a refusal fails with {@link AuthRefused}.
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
  private final Supplier<Authenticator> authenticator;
  private java.util.function.Consumer<String> resumedHook = id -> { };

  Handshakes(NodeCore core, SessionPort port, Presence presence, SessionEnds ends, TopicFanout topics,
      BackendDispatch backends, BooleanSupplier draining, Supplier<Authenticator> authenticator) {
    this.authenticator = authenticator;
    this.core = core;
    this.port = port;
    this.presence = presence;
    this.ends = ends;
    this.topics = topics;
    this.backends = backends;
    this.draining = draining;
  }

  /**
   * Creates a session for a {@code hello} once its credential is accepted, sends {@code welcome}, and ends the
   * client's older session (policy {@code replace}) or refuses while that one is live (policy {@code refuse}).
   */
  public Future<Session> hello(Context ctx, Transport transport, Frame.Hello hello, Peer peer) {
    String claimed = hello.attrs() == null ? null : hello.attrs().json();
    return checked(authenticator.get().authenticate(hello.clientId(), hello.token(), claimed, peer))
        .compose(this::admit)
        .compose(grant -> create(ctx, transport, grant, merged(claimed, grant.attrs())));
  }

  /** Policy {@code refuse}: a clientId whose session is ONLINE or SUSPECT keeps it; the newcomer is refused. */
  private Future<Grant> admit(Grant grant) {
    if (core.options().getDuplicateClient() != GatewayOptions.DuplicateClient.REFUSE) {
      return Future.succeededFuture(grant);
    }
    return presence.of(grant.clientId()).compose(p -> {
      boolean live = p != null && (SessionState.ONLINE.name().equals(p.state())
          || SessionState.SUSPECT.name().equals(p.state()));
      return live ? Future.failedFuture(new AuthRefused(ErrorCode.NOT_ALLOWED, AuthRefused.DUPLICATE_CLIENT,
          "client '" + grant.clientId() + "' already has a live session (duplicateClient refuse)"))
          : Future.succeededFuture(grant);
    });
  }

  private Future<Session> create(Context ctx, Transport transport, Grant grant, String attrs) {
    String sessionId = Tokens.sessionId();
    String token = Tokens.resumeToken();
    String clientId = grant.clientId();
    var o = core.options();
    SessionRecord record = SessionRecord.create(clientId, Tokens.hash(token), core.instance(),
        o.getResumeWindowMs(), o.getBufferMaxFrames(), o.getBufferMaxBytes(), attrs,
        grant.authenticated() ? grant.toJson() : null, grant.expiresAt());
    return core.store().create(sessionId, record)
        .compose(v -> presence.claim(clientId, sessionId, attrs))
        .map(previous -> {
          Session s = Session.create(port, ctx, sessionId, grant, transport);
          core.local().add(s);
          s.send(new Frame.Welcome(sessionId, token, o.getHeartbeatMs(), o.getResumeWindowMs(), core.nodeId()));
          if (draining.getAsBoolean()) {
            s.send(new Frame.Reconnect("shutdown"));
          }
          presence.online(clientId, sessionId);
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
  public Future<Session> resume(Context ctx, Transport transport, Frame.Resume resume, Peer peer) {
    boolean fresh = resume.token() != null && core.options().getAuth() != GatewayOptions.AuthMode.NONE;
    Future<Grant> credential = fresh
        ? checked(authenticator.get().authenticate(null, resume.token(), null, peer))
        : Future.succeededFuture();
    return credential.compose(grant -> takeOver(ctx, transport, resume, grant));
  }

  private Future<Session> takeOver(Context ctx, Transport transport, Frame.Resume resume, Grant grant) {
    String sessionId = resume.sessionId();
    String token = Tokens.resumeToken();
    ResumeOp op = new ResumeOp(Tokens.hash(resume.resumeToken()), Tokens.hash(token), core.instance(),
        resume.lastSeq(), System.currentTimeMillis(), core.store().liveNodes());
    if (grant != null) {
      op.withCredential(grant.clientId(), grant.toJson(), grant.expiresAt());
    }
    return core.store().resume(sessionId, op).compose(outcome -> {
      if (outcome.unauthorized() != null) {
        core.metrics().authenticated(outcome.unauthorized());
        return Future.failedFuture(new AuthRefused(outcome.unauthorized(),
            AuthRefused.WRONG_CLIENT.equals(outcome.unauthorized())
                ? "the token is for another client than the session's"
                : "the session's credential has expired: resume with a fresh token"));
      }
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
      if (previousOwner != null && !core.instance().equals(previousOwner)
          && core.store().liveNodes().contains(previousOwner)) {
        // The store already refuses the old owner's writes; this makes it drop the socket now, not at its next write.
        // An owner that left holds no socket: fencing it would only cost a store operation per resumed session
        // (Router.ownerLeft), 10 000 of them in a storm after a node died.
        core.router().forward(previousOwner, new NodeOp.Fence(sessionId, outcome.epoch(), 1));
      }
      s.send(new Frame.Resumed(sessionId, token, outcome.inSeq(), core.nodeId()));
      // The session's latest refusals again, then the ack of resumed.lastSeq: a refusal the client lost in the break
      // comes before that ack, as the rule of docs/PROTOCOL.md §7 says, and is not taken for an acceptance.
      for (String refusal : outcome.refusals()) {
        if (core.codec().decode(refusal) instanceof DecodeResult.Ok ok) {
          s.send(ok.frame());
        }
      }
      s.send(new Frame.Ack(outcome.inSeq()));
      s.replay(outcome.missed());
      resumedHook.accept(sessionId);
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
      presence.resumed(outcome.clientId(), sessionId);
      for (String topic : outcome.subscriptions().keySet()) {
        topics.follow(s, topic);
      }
      return Future.succeededFuture(s);
    });
  }

  /** Told the session id after each resume here, once the missed frames are replayed (byte streams resend credits). */
  void onResumed(java.util.function.Consumer<String> hook) {
    this.resumedHook = hook;
  }

  /** Counts the outcome of a credential check. */
  Future<Grant> checked(Future<Grant> check) {
    return check.andThen(ar -> core.metrics().authenticated(ar.succeeded() ? "granted"
        : ar.cause() instanceof AuthRefused r ? r.reason() : "error"));
  }

  /** The client's attrs with the credential's on top: those the client cannot override. */
  static String merged(String claimed, String granted) {
    if (granted == null) {
      return claimed;
    }
    return claimed == null ? granted : new JsonObject(claimed).mergeIn(new JsonObject(granted)).encode();
  }
}
