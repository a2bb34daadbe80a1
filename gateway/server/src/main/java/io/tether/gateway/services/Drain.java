package io.tether.gateway.services;

import io.tether.gateway.session.Session;
import io.tether.protocol.Frame;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.logging.Logger;

/**
 * Graceful drain (docs/OPERATIONS.md "Rolling restart"): clients are told to reconnect elsewhere, new sockets are
 * refused, and the node waits for its sessions to move and for the work someone waits on — client requests it
 * forwarded, backends' calls it is serving — before it leaves.
 */
final class Drain {

  private static final Logger LOG = Logger.getLogger(Drain.class.getName());

  private final NodeCore core;
  /** Work whose outcome someone waits for (forwarded client requests, backends' gateway.* calls being served). */
  private final AtomicInteger inFlight = new AtomicInteger();
  private final List<Runnable> hooks = new CopyOnWriteArrayList<>();
  private volatile boolean draining;

  Drain(NodeCore core) {
    this.core = core;
  }

  AtomicInteger inFlight() {
    return inFlight;
  }

  boolean draining() {
    return draining;
  }

  void onDrain(Runnable hook) {
    hooks.add(hook);
  }

  /** Counts {@code work} as in flight until it completes: a drain waits for it. */
  void track(Future<?> work) {
    inFlight.incrementAndGet();
    work.onComplete(ar -> inFlight.decrementAndGet());
  }

  /**
   * Completes when the node's sessions have moved and the work in flight is done, or when {@code timeoutMs} ran out;
   * sessions still here then are detached (stored), so they resume anywhere.
   */
  Future<Void> drain(long timeoutMs) {
    draining = true;
    hooks.forEach(Runnable::run);
    long deadline = System.currentTimeMillis() + timeoutMs;
    Set<String> told = ConcurrentHashMap.newKeySet();
    Promise<Void> moved = Promise.promise();
    LOG.info(() -> "draining: " + core.local().size() + " sessions, " + inFlight.get() + " backend requests in flight");
    // Checked at once, then every 50 ms. (Not setPeriodic(0, …): called from the JVM's shutdown hook, its first tick
    // was seen never to come, and the drain then waited out the hook's timeout.)
    Runnable check = () -> {
      for (Session s : core.local().all()) {
        if (told.add(s.id())) {
          s.run(() -> {
            s.send(new Frame.Reconnect("shutdown"));
            return Future.succeededFuture();
          });
        }
      }
      if ((core.local().isEmpty() && inFlight.get() == 0) || System.currentTimeMillis() > deadline) {
        moved.tryComplete();
      }
    };
    check.run();
    if (!moved.future().isComplete()) {
      long timer = core.vertx().setPeriodic(50, id -> check.run());
      moved.future().onComplete(ar -> core.vertx().cancelTimer(timer));
    }
    return moved.future().compose(v -> {
      List<Future<Void>> detached = new ArrayList<>();
      for (Session s : core.local().all()) {
        detached.add(s.run(s::leave));
      }
      LOG.info(() -> "drained; " + detached.size() + " sessions detached here, " + inFlight.get()
          + " backend requests unanswered");
      return Future.join(detached).<Void>mapEmpty().otherwiseEmpty();
    });
  }
}
