package io.tether.gateway.services;

import io.tether.gateway.session.Session;
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
  }

  private void nodeLeft(String dead) {
    LOG.info(() -> "cluster member " + dead + " left");
    core.router().nodeLeft(dead);
    if (core.store().isOldestMember()) {
      core.store().orphan(dead, System.currentTimeMillis()).onSuccess(orphans -> {
        core.metrics().orphaned(orphans.size());
        orphans.forEach(presence::orphaned);
      }).onFailure(e -> LOG.log(Level.WARNING, "could not detach the sessions of " + dead, e));
    }
    for (Session s : core.local().all()) {
      s.run(() -> {
        s.redispatchUnless(node -> !node.equals(dead));
        return Future.succeededFuture();
      });
    }
  }
}
