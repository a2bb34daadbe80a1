package io.tether.gateway.services;

import io.tether.gateway.api.GatewayApi;
import io.tether.gateway.session.Session;
import io.tether.gateway.session.SessionState;
import io.tether.gateway.store.PresenceOp;
import io.tether.gateway.store.PresenceRecord;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * The live presence table (docs/PROTOCOL.md §4, seed 000): every client's state, node, last heartbeat and attrs in
 * the cluster map, and an event on {@code gateway.presence.events} at every state change.
 */
final class Presence {

  private static final Logger LOG = Logger.getLogger(Presence.class.getName());

  private final NodeCore core;

  Presence(NodeCore core) {
    this.core = core;
  }

  /** A hello: the client's presence now names the new session; completes with the record it replaced. */
  Future<PresenceRecord> claim(String clientId, String sessionId, String attrs) {
    return core.store().presence(clientId, PresenceOp.claim(sessionId, core.nodeId(), attrs,
        System.currentTimeMillis()));
  }

  /**
   * A session of this node changed state: the presence record first, then the event, so a backend that reacts to the
   * event and reads the record finds the new state. Completes when both are done (a failed write is logged: presence
   * is then behind until the next change, and the event still goes out).
   */
  Future<Void> changed(String clientId, String sessionId, SessionState state) {
    core.metrics().transition(state.name());
    return core.store().presence(clientId, PresenceOp.update(sessionId, state.name(), core.nodeId(), null,
            System.currentTimeMillis()))
        .transform(ar -> {
          if (ar.failed()) {
            LOG.log(Level.WARNING, "presence update failed for " + clientId, ar.cause());
          }
          publish(clientId, sessionId, state, core.nodeId());
          return Future.<Void>succeededFuture();
        });
  }

  /** After members died: the presence of a session held here, restored if it was lost with its partition. */
  void restoreIfLost(Session s) {
    core.store().presence(s.clientId(), PresenceOp.ifMissing(s.id(), s.state().name(), core.nodeId(),
        System.currentTimeMillis())).onFailure(e -> LOG.log(Level.FINE, "presence restore failed", e));
  }

  /** A session resumed here: ONLINE on this node, its presence record restored if it was lost. */
  Future<Void> resumed(String clientId, String sessionId) {
    core.metrics().transition(SessionState.ONLINE.name());
    return writeResumed(clientId, sessionId, 10)
        .onComplete(v -> publish(clientId, sessionId, SessionState.ONLINE, core.nodeId()));
  }

  /**
   * Tried again (500 ms apart) while the store fails: resumes come right after members were lost, when writes can
   * fail, and a lost write left presence ONLINE on the dead node for good (DoubleCrashFaultTest; the orphaning had
   * nothing to detach, the session having resumed first). The write only applies while presence names the session.
   */
  private Future<Void> writeResumed(String clientId, String sessionId, int attempts) {
    return core.store().presence(clientId, PresenceOp.resumed(sessionId, core.nodeId(), System.currentTimeMillis()))
        .<Void>mapEmpty()
        .recover(e -> {
          if (attempts <= 1) {
            LOG.log(Level.WARNING, "presence update failed for " + clientId, e);
            return Future.succeededFuture();
          }
          return core.vertx().timer(500).compose(t -> writeResumed(clientId, sessionId, attempts - 1));
        });
  }

  /** A new session announced ONLINE (its record was written by {@link #claim}). */
  void online(String clientId, String sessionId) {
    core.metrics().transition(SessionState.ONLINE.name());
    publish(clientId, sessionId, SessionState.ONLINE, core.nodeId());
  }

  void heartbeat(Session s, String attrs) {
    core.store().presence(s.clientId(), PresenceOp.update(s.id(), null, null, attrs, System.currentTimeMillis()));
  }

  /** The session's node left without detaching it; the store now says DETACHED, and so does presence. */
  void orphaned(String sessionId, String clientId, String deadInstance) {
    core.metrics().transition(SessionState.DETACHED.name());
    int cut = deadInstance.indexOf('~');
    String deadNode = cut < 0 ? deadInstance : deadInstance.substring(0, cut);
    core.store().presence(clientId, PresenceOp.orphaned(sessionId, deadNode, System.currentTimeMillis()));
    publish(clientId, sessionId, SessionState.DETACHED, null);
  }

  Future<PresenceRecord> of(String clientId) {
    return core.store().presence(clientId);
  }

  /** The client's current session id (null if it has none that is not closed). */
  Future<String> sessionOf(String clientId) {
    Session local = core.local().ofClient(clientId);
    if (local != null) {
      return Future.succeededFuture(local.id());
    }
    return of(clientId).map(p -> p == null || SessionState.CLOSED.name().equals(p.state()) ? null : p.sessionId());
  }

  private void publish(String clientId, String sessionId, SessionState state, String node) {
    core.vertx().eventBus().publish(GatewayApi.PRESENCE_EVENTS, new JsonObject().put("clientId", clientId)
        .put("sessionId", sessionId).put("state", state.name()).put("node", node)
        .put("at", System.currentTimeMillis()));
  }
}
