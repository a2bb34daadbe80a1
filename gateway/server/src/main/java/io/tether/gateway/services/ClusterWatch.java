package io.tether.gateway.services;

import io.tether.gateway.session.Session;
import io.tether.protocol.Frame;
import io.vertx.core.Future;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * A member left the cluster (docs/ARCHITECTURE.md "Crash recovery"): operations forwarded to it fail at once; the
 * oldest member detaches its sessions in the store (presence says DETACHED); sessions here re-dispatch the requests
 * it had dispatched for them.
 */
final class ClusterWatch {

  private static final Logger LOG = Logger.getLogger(ClusterWatch.class.getName());

  private final NodeCore core;
  private final Presence presence;

  ClusterWatch(NodeCore core, Presence presence) {
    this.core = core;
    this.presence = presence;
  }

  void start() {
    core.router().onOrphaned(presence::orphaned);
    core.store().onNodeLeft(dead -> core.vertx().runOnContext(v -> nodeLeft(dead)));
    core.vertx().setPeriodic(QUORUM_CHECK_MS, id -> checkQuorum());
  }

  /** How often the node looks whether it is on the minority side of a split (a field read). */
  private static final long QUORUM_CHECK_MS = 250;
  private boolean quorumLost;

  /**
   * On the minority side of a network split (docs/RELIABILITY.md "Split brain") the store refuses every write, so
   * no session can stay here: each client is told to reconnect and its socket is closed, so it resumes on the
   * majority side (where its record is, detached by the oldest member there) instead of sitting on a node that can
   * neither store what it sends nor receive what backends send it. Busy sessions would find out at their next write
   * anyway; this also moves the idle ones.
   */
  private void checkQuorum() {
    boolean lost = !core.store().hasQuorum();
    if (lost == quorumLost) {
      return;
    }
    quorumLost = lost;
    if (!lost) {
      LOG.warning("split-brain quorum regained: accepting sessions again");
      return;
    }
    LOG.warning(() -> "split-brain quorum lost (too few cluster members reachable): refusing handshakes and moving "
        + core.local().all().size() + " sessions away");
    for (Session s : core.local().all()) {
      s.run(() -> {
        s.send(new Frame.Reconnect("no_quorum"));
        return s.leave();
      });
    }
  }

  private void nodeLeft(String dead) {
    LOG.info(() -> "cluster member " + dead + " left");
    core.router().nodeLeft(dead);
    if (core.store().isOldestMember()) {
      core.store().orphan(dead, System.currentTimeMillis()).onSuccess(orphans -> {
        core.metrics().orphaned(orphans.size());
        orphans.forEach((sessionId, clientId) -> presence.orphaned(sessionId, clientId, dead));
      }).onFailure(e -> LOG.log(Level.WARNING, "could not detach the sessions of " + dead, e));
    }
    for (Session s : core.local().all()) {
      s.run(() -> {
        s.redispatchUnless(node -> !node.equals(dead));
        if (s.attached()) {
          // Its presence record may have died with the member (both copies gone when two die at once).
          presence.restoreIfLost(s);
        }
        return Future.succeededFuture();
      });
    }
  }
}
