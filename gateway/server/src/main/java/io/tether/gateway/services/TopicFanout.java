package io.tether.gateway.services;

import io.tether.gateway.api.BackendFailure;
import io.tether.gateway.session.Session;
import io.tether.gateway.store.PublishOp;
import io.tether.protocol.NamePatterns;
import io.vertx.core.Future;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.json.Json;
import io.vertx.core.json.JsonObject;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Topics (docs/PROTOCOL.md §6, seed 003): publishing a new version cluster-wide, and telling this node's subscribers.
 * A node listens on {@code tether.topic.<topic>} only while it has subscribers to that topic, so a publish is one
 * cluster message per node with subscribers, which then delivers locally.
 */
final class TopicFanout {

  /** Internal address prefix of a topic's change events. */
  static final String TOPIC_ADDRESS_PREFIX = "tether.topic.";
  /** When the second catch-up read of a new subscription runs (see {@link #follow}). */
  private static final long SECOND_CATCH_UP_MS = 1_000;

  private final NodeCore core;
  private final NamePatterns allowed;
  private final Map<String, Set<Session>> subscribers = new ConcurrentHashMap<>();
  /** Topic → this node's listener for its changes (one per topic with local subscribers); guarded by itself. */
  private final Map<String, MessageConsumer<JsonObject>> listeners = new HashMap<>();
  /** The cluster's topic count, as last counted (see {@link #publish}). */
  private volatile int topicCount;

  TopicFanout(NodeCore core) {
    this.core = core;
    this.allowed = new NamePatterns(core.options().getAllowedTopics());
  }

  /** True if clients may subscribe to {@code topic} (the node's {@code allowedTopics}). */
  boolean allowed(String topic) {
    return allowed.matches(topic);
  }

  /**
   * Publishes a topic's new value cluster-wide; completes with its version. A new topic is refused (429) while the
   * cluster holds {@code maxTopics} of them (counted every few seconds, so the bound may be passed by the topics
   * created meanwhile).
   */
  Future<Long> publish(String topic, Object body) {
    String json = Json.encode(body);
    int max = core.options().getMaxTopics();
    return core.store().publish(topic, json, topicCount < max, core.options().getTopicTtlMs()).compose(version -> {
      if (version == PublishOp.REFUSED) {
        return Future.failedFuture(BackendFailure.RATE_LIMITED.refuse("the cluster holds its maximum of " + max
            + " topics"));
      }
      core.vertx().eventBus().publish(TOPIC_ADDRESS_PREFIX + topic,
          new JsonObject().put("topic", topic).put("version", version).put("body", json));
      return Future.succeededFuture(version);
    });
  }

  /** Refreshes the cluster's topic count that bounds topic creation. */
  Future<Integer> countTopics() {
    return core.store().topicCount().onSuccess(n -> topicCount = n);
  }

  /**
   * Subscribes the session here and then sends the topic's latest value if the client does not have it. The
   * catch-up read comes after the listener is registered, and once more a moment later: another node's view of the
   * registrations follows the registration asynchronously, so a publish landing in between could otherwise be
   * missed until the next one.
   */
  void follow(Session s, String topic) {
    listen(topic, s).onComplete(ar -> {
      catchUp(s, topic);
      core.vertx().setTimer(SECOND_CATCH_UP_MS, id -> catchUp(s, topic));
    });
  }

  /** Removes a local subscriber; with the last one the node stops listening for the topic. */
  void unfollow(Session s, String topic) {
    synchronized (listeners) {
      Set<Session> set = subscribers.get(topic);
      if (set == null || !set.remove(s) || !set.isEmpty()) {
        return;
      }
      subscribers.remove(topic);
      MessageConsumer<JsonObject> listener = listeners.remove(topic);
      if (listener != null) {
        listener.unregister();
      }
    }
  }

  /**
   * Adds a local subscriber; the first one makes this node listen for the topic's changes. Completes when the
   * listener is registered cluster-wide: a catch-up read after that cannot miss a change.
   */
  private Future<Void> listen(String topic, Session s) {
    synchronized (listeners) {
      subscribers.computeIfAbsent(topic, t -> ConcurrentHashMap.newKeySet()).add(s);
      MessageConsumer<JsonObject> listener = listeners.get(topic);
      if (listener == null) {
        listener = core.vertx().eventBus().consumer(TOPIC_ADDRESS_PREFIX + topic, m -> {
          JsonObject change = m.body();
          changed(change.getString("topic"), change.getLong("version"), change.getString("body"));
        });
        listeners.put(topic, listener);
      }
      return listener.completion();
    }
  }

  /** A topic changed somewhere in the cluster: tell this node's subscribers. */
  private void changed(String topic, long version, String body) {
    Set<Session> set = subscribers.get(topic);
    if (set != null) {
      for (Session s : set) {
        s.context().runOnContext(v -> s.onTopicChange(topic, version, body));
      }
    }
  }

  /** Sends the topic's latest value if it is newer than what the client has. */
  private void catchUp(Session s, String topic) {
    core.store().topic(topic).onSuccess(rec -> {
      if (rec != null) {
        s.context().runOnContext(v -> s.onTopicChange(topic, rec.version(), rec.body()));
      }
    });
  }
}
