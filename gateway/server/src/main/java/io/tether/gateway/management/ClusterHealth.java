package io.tether.gateway.management;

import io.tether.gateway.services.GatewayServices;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeSet;
import java.util.function.Supplier;

/**
 * The console's view of the cluster: every member Hazelcast lists, each with the health it reports itself (what its
 * {@code /health} says), asked over the clustered event bus at an address of its own. A member that does not answer
 * within {@link #ASK_TIMEOUT_MS} is listed as {@code UNREACHABLE}: it is in the member list but not serving (stuck,
 * or just killed and not yet removed).
 *
 * <p>The address is internal to the cluster (members trust each other, docs/SECURITY.md); the answer carries nothing
 * that {@code /health} does not already show.
 */
final class ClusterHealth {

  /** Followed by the member's instance id (node id + start suffix). */
  static final String ADDRESS_PREFIX = "tether.management.health.";
  static final long ASK_TIMEOUT_MS = 1_000;

  private final Vertx vertx;
  private final GatewayServices mgr;
  private final Supplier<JsonObject> localHealth;
  private MessageConsumer<Object> consumer;

  ClusterHealth(Vertx vertx, GatewayServices mgr, Supplier<JsonObject> localHealth) {
    this.vertx = vertx;
    this.mgr = mgr;
    this.localHealth = localHealth;
  }

  /** Answers the other members' questions about this one; completes when the registration is known cluster-wide. */
  Future<Void> start() {
    consumer = vertx.eventBus().consumer(ADDRESS_PREFIX + mgr.instance(), msg -> msg.reply(localHealth.get()));
    return consumer.completion();
  }

  Future<Void> stop() {
    return consumer == null ? Future.succeededFuture() : consumer.unregister();
  }

  /** Every member, sorted by instance id: {@code {"instance","local",…health…}} or status UNREACHABLE. */
  Future<JsonArray> members() {
    DeliveryOptions ask = new DeliveryOptions().setSendTimeout(ASK_TIMEOUT_MS);
    List<Future<JsonObject>> answers = new ArrayList<>();
    for (String instance : new TreeSet<>(mgr.clusterInstances())) {
      if (instance.equals(mgr.instance())) {
        answers.add(Future.succeededFuture(withInstance(localHealth.get(), instance, true)));
        continue;
      }
      answers.add(vertx.eventBus().<JsonObject>request(ADDRESS_PREFIX + instance, null, ask)
          .map(reply -> withInstance(reply.body().copy(), instance, false))
          .otherwise(e -> withInstance(new JsonObject().put("status", "UNREACHABLE").put("error", e.getMessage())
              .put("node", nodeOf(instance)), instance, false)));
    }
    return Future.join(answers).map(all -> {
      JsonArray out = new JsonArray();
      answers.forEach(f -> out.add(f.result()));
      return out;
    });
  }

  private static JsonObject withInstance(JsonObject health, String instance, boolean local) {
    return health.put("instance", instance).put("local", local);
  }

  private static String nodeOf(String instance) {
    int cut = instance.indexOf('~');
    return cut < 0 ? instance : instance.substring(0, cut);
  }
}
