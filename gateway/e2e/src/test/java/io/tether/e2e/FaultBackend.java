package io.tether.e2e;

import com.hazelcast.config.Config;
import com.hazelcast.core.Hazelcast;
import com.hazelcast.core.HazelcastInstance;
import io.tether.gateway.config.GatewayOptions;
import io.tether.gateway.store.HazelcastSetup;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.eventbus.EventBusOptions;
import io.vertx.core.json.JsonObject;
import io.vertx.spi.cluster.hazelcast.HazelcastClusterManager;
import java.util.Arrays;
import java.util.List;

/**
 * A faulty backend, run as its own process by {@link BackendFaultTest} (the gateway's fat jar plus the test classes
 * on the class path): a Hazelcast lite member (it holds no session data, so killing it loses none) with a clustered
 * Vert.x that serves
 * <ul>
 *   <li>{@code demo.fault.silent}: never answers;</li>
 *   <li>{@code demo.fault.twice}: answers twice ({@code {"n":1}} then {@code {"n":2}});</li>
 *   <li>{@code demo.fault.slow}: answers {@code {"n":1}} after 1.5 s (to be killed mid-request).</li>
 * </ul>
 * The names match the gateway's {@code --allowed-addresses demo.*}. Prints {@code FAULT-BACKEND READY} once its
 * consumers are registered. Arguments: its Hazelcast port, the members (comma-separated host:port).
 */
public final class FaultBackend {

  static final String READY = "FAULT-BACKEND READY";

  private FaultBackend() {
  }

  public static void main(String[] args) {
    GatewayOptions o = new GatewayOptions().setNodeId("fault-backend").setClusterHost("127.0.0.1")
        .setClusterPort(Integer.parseInt(args[0])).setMembers(Arrays.asList(args[1].split(",")));
    Config config = HazelcastSetup.config(o, "fault-backend-" + System.currentTimeMillis());
    config.setLiteMember(true);
    HazelcastInstance hz = Hazelcast.newHazelcastInstance(config);
    Vertx.builder()
        .with(new VertxOptions().setEventBusOptions(new EventBusOptions().setHost("127.0.0.1").setPort(0)))
        .withClusterManager(new HazelcastClusterManager(hz))
        .buildClustered()
        .compose(vertx -> Future.all(List.of(
            vertx.eventBus().consumer("demo.fault.silent", m -> { }).completion(),
            vertx.eventBus().consumer("demo.fault.twice", m -> {
              m.reply(new JsonObject().put("n", 1));
              m.reply(new JsonObject().put("n", 2));
            }).completion(),
            vertx.eventBus().consumer("demo.fault.slow", m ->
                vertx.setTimer(1_500, id -> m.reply(new JsonObject().put("n", 1)))).completion())))
        .onSuccess(v -> System.out.println(READY))
        .onFailure(e -> {
          e.printStackTrace();
          System.exit(1);
        });
  }
}
