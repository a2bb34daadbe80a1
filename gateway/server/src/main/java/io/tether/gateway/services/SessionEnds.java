package io.tether.gateway.services;

import io.tether.gateway.routing.NodeOp;
import io.tether.gateway.routing.Router;
import io.tether.gateway.session.Session;
import io.tether.gateway.session.SessionState;
import io.vertx.core.Future;

/**
 * Sessions ending for good (docs/PROTOCOL.md §7): by the client ({@code bye}), by a newer {@code hello}
 * ({@code replaced}), by an operator ({@code kicked}), or by their resume window running out ({@code expired}).
 * Wherever the session is, the store records the end and presence says CLOSED.
 */
final class SessionEnds {

  private final NodeCore core;
  private final Presence presence;
  /**
   * The expiry sweep running now, or null. A sweep visits every entry of the sessions map (tombstones too) and can
   * outlast its period on a loaded member; a sweep asked for meanwhile joins it instead of starting another, so
   * sweeps never pile up on the worker pool.
   */
  private Future<Integer> sweeping;

  SessionEnds(NodeCore core, Presence presence) {
    this.core = core;
    this.presence = presence;
  }

  /** Ends a session wherever it is: its node says bye on its socket; if that node is gone, it ends in the store. */
  Future<Void> end(String sessionId, String reason, int hops) {
    return core.router().locate(sessionId).compose(where -> {
      if (where instanceof Router.Location.Here here) {
        Session s = here.session();
        return s.run(() -> s.end(reason, false));
      }
      if (where instanceof Router.Location.OnNode node && hops == 0) {
        return core.router().forward(node.instance(), new NodeOp.End(sessionId, reason, 1)).<Void>mapEmpty()
            .recover(e -> endInStore(sessionId, reason));
      }
      return endInStore(sessionId, reason);
    });
  }

  /** A session of this node ended (its object is already CLOSED): record it in the store, then presence. */
  Future<Void> ended(Session s, String reason) {
    return core.store().end(s.id(), reason, System.currentTimeMillis()).map(clientId -> {
      presence.changed(s.clientId(), s.id(), SessionState.CLOSED);
      return null;
    });
  }

  private Future<Void> endInStore(String sessionId, String reason) {
    return core.store().end(sessionId, reason, System.currentTimeMillis()).map(clientId -> {
      if (clientId != null) {
        presence.changed(clientId, sessionId, SessionState.CLOSED);
      }
      return null;
    });
  }

  /** Expires sessions detached past their window (run by the oldest member) and reports them CLOSED. */
  synchronized Future<Integer> expireDetached() {
    if (sweeping != null) {
      return sweeping;
    }
    if (!core.store().isOldestMember()) {
      return Future.succeededFuture(0);
    }
    Future<Integer> sweep = core.store().expireDetached(System.currentTimeMillis()).map(ended -> {
      ended.forEach((sessionId, clientId) -> presence.changed(clientId, sessionId, SessionState.CLOSED));
      return ended.size();
    });
    sweeping = sweep;
    sweep.onComplete(ar -> sweepDone(sweep));
    return sweep;
  }

  private synchronized void sweepDone(Future<Integer> sweep) {
    if (sweeping == sweep) {
      sweeping = null;
    }
  }
}
