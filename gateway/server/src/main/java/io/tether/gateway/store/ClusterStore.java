package io.tether.gateway.store;

import com.hazelcast.cluster.Member;
import com.hazelcast.core.HazelcastInstance;
import com.hazelcast.map.IMap;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.internal.ContextInternal;
import java.util.HashMap;
import java.util.Iterator;
import java.util.Map;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;

/**
 * The session store on Hazelcast: every call is asynchronous and completes on the caller's Vert.x context, so no
 * event loop ever waits on the cluster (docs/ARCHITECTURE.md "Session store").
 */
public final class ClusterStore {

  public static final String SESSIONS = "tether.sessions";
  public static final String CLIENTS = "tether.clients";
  public static final String TOPICS = "tether.topics";

  private final Vertx vertx;
  private final HazelcastInstance hz;
  private final IMap<String, SessionRecord> sessions;
  private final IMap<String, PresenceRecord> clients;
  private final IMap<String, TopicRecord> topics;

  public ClusterStore(Vertx vertx, HazelcastInstance hz) {
    this.vertx = vertx;
    this.hz = hz;
    this.sessions = hz.getMap(SESSIONS);
    this.clients = hz.getMap(CLIENTS);
    this.topics = hz.getMap(TOPICS);
  }

  /**
   * Completes on the caller's context. The Hazelcast callback runs right on the Hazelcast thread that completed the
   * operation and only hands the result over: Hazelcast's default callback executor starts a new thread per
   * callback when the common ForkJoin pool has parallelism 1 (any 2-core machine), which capped the store at a few
   * thousand operations per second (docs/BENCHMARKS.md).
   */
  private <T> Future<T> bridge(CompletionStage<T> stage) {
    Promise<T> promise = ((ContextInternal) vertx.getOrCreateContext()).promise();
    stage.whenCompleteAsync((value, failure) -> {
      if (failure == null) {
        promise.complete(value);
      } else {
        promise.fail(failure instanceof CompletionException && failure.getCause() != null ? failure.getCause()
            : failure);
      }
    }, Runnable::run);
    return promise.future();
  }

  // -- sessions -----------------------------------------------------------------------------------------------

  public Future<Void> create(String sessionId, SessionRecord record) {
    return bridge(sessions.setAsync(sessionId, record));
  }

  public Future<Integer> flush(String sessionId, FlushOp op) {
    return bridge(sessions.submitToKey(sessionId, op));
  }

  public Future<ResumeOutcome> resume(String sessionId, ResumeOp op) {
    return bridge(sessions.submitToKey(sessionId, op));
  }

  public Future<AppendOutcome> append(String sessionId, AppendOp op) {
    return bridge(sessions.submitToKey(sessionId, op));
  }

  /** Ends a session for good; completes with its clientId, or null if it was unknown or already ended. */
  public Future<String> end(String sessionId, String reason, long now) {
    return bridge(sessions.submitToKey(sessionId, new EndOp(reason, false, now)));
  }

  /** The node the session is attached to, or null when it is detached, ended or unknown. */
  public Future<String> owner(String sessionId) {
    return bridge(sessions.submitToKey(sessionId, new OwnerOp()));
  }

  /**
   * Expires every session detached longer than its window; completes with sessionId → clientId of those expired.
   * Partition-wide processing has no async form in Hazelcast 5.3, so it runs on a worker thread.
   */
  public Future<Map<String, String>> expireDetached(long now) {
    return vertx.executeBlocking(() -> {
      Map<String, String> ended = new HashMap<>();
      sessions.executeOnEntries(new EndOp(null, true, now)).forEach((k, v) -> {
        if (v != null) {
          ended.put(k, v);
        }
      });
      return ended;
    }, false);
  }

  /** True on the oldest cluster member, which alone runs cluster-wide sweeps. */
  public boolean isOldestMember() {
    Iterator<Member> it = hz.getCluster().getMembers().iterator();
    return it.hasNext() && it.next().localMember();
  }

  // -- presence -----------------------------------------------------------------------------------------------

  public Future<PresenceRecord> presence(String clientId, PresenceOp op) {
    return bridge(clients.submitToKey(clientId, op));
  }

  public Future<PresenceRecord> presence(String clientId) {
    return bridge(clients.getAsync(clientId));
  }

  // -- topics -------------------------------------------------------------------------------------------------

  public Future<Long> publish(String topic, String body) {
    return bridge(topics.submitToKey(topic, new PublishOp(body)));
  }

  public Future<TopicRecord> topic(String topic) {
    return bridge(topics.getAsync(topic));
  }
}
