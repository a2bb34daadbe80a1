package io.tether.gateway.store;

import com.hazelcast.cluster.MembershipEvent;
import com.hazelcast.cluster.MembershipListener;
import com.hazelcast.core.HazelcastInstance;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Whether every partition's backups are in sync, so that a member may crash now without losing data: /health's
 * {@code clusterSafe}, which rolling restarts wait for. Asking Hazelcast is not free: {@code isClusterSafe()} has every
 * member check its partitions' replicas (a replica-version exchange per partition), so asked each second by each of N
 * members it costs every member N such checks a second, which was most of an idle member's CPU in a 6-member cluster
 * (docs/BENCHMARKS.md "Sessions at scale"). So it is asked each second only while the answer is "not safe" (after a
 * member joined or left, until the migrations are done) and every {@link #SAFE_RECHECK_MS} while safe. A membership
 * change makes it "not safe" at once, and an answer that was under way across a change is not taken.
 */
public final class ClusterSafety {

  /** How often a safe cluster is asked again (membership changes are heard at once). */
  public static final long SAFE_RECHECK_MS = 10_000;
  private static final long UNSAFE_RECHECK_MS = 1_000;

  private final Vertx vertx;
  private final HazelcastInstance hazelcast;
  private final AtomicLong changes = new AtomicLong();
  private volatile boolean safe;
  private volatile long checkedAt;

  public ClusterSafety(Vertx vertx, HazelcastInstance hazelcast) {
    this.vertx = vertx;
    this.hazelcast = hazelcast;
    hazelcast.getCluster().addMembershipListener(new MembershipListener() {
      @Override
      public void memberAdded(MembershipEvent e) {
        changed();
      }

      @Override
      public void memberRemoved(MembershipEvent e) {
        changed();
      }
    });
  }

  private void changed() {
    changes.incrementAndGet();
    safe = false;
  }

  /** The last answer (false until the first one, and from a membership change until the next). */
  public boolean isSafe() {
    return safe;
  }

  /** Asks now, then each second while not safe and every {@link #SAFE_RECHECK_MS} while safe. */
  public void start() {
    refresh();
    vertx.setPeriodic(UNSAFE_RECHECK_MS, id -> {
      if (!safe || System.currentTimeMillis() - checkedAt >= SAFE_RECHECK_MS) {
        refresh();
      }
    });
  }

  /** Asks Hazelcast now (it may call other members, so off the event loop); completes with the answer. */
  public Future<Boolean> refresh() {
    long before = changes.get();
    checkedAt = System.currentTimeMillis();
    return vertx.executeBlocking(() -> hazelcast.getPartitionService().isClusterSafe(), false)
        .map(answer -> {
          boolean now = answer && changes.get() == before; // a member joined or left meanwhile: ask again
          safe = now;
          return now;
        })
        .otherwise(e -> {
          safe = false;
          return false;
        });
  }
}
