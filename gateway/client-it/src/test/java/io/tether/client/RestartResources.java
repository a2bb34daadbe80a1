package io.tether.client;

import io.tether.gateway.testing.FaultyRelay;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.MessageConsumer;
import java.util.ArrayList;
import java.util.List;

/**
 * What a restart test opened and must release after each test, whatever its outcome: clients, relays, event-bus
 * consumers on the node, and writer processes (killed on a worker thread: it waits for the process).
 */
final class RestartResources {

  private final List<TetherClient> clients = new ArrayList<>();
  private final List<FaultyRelay> relays = new ArrayList<>();
  private final List<MessageConsumer<?>> consumers = new ArrayList<>();
  private final List<WriterProcess> processes = new ArrayList<>();

  TetherClient add(TetherClient c) {
    clients.add(c);
    return c;
  }

  FaultyRelay add(FaultyRelay r) {
    relays.add(r);
    return r;
  }

  <T> MessageConsumer<T> add(MessageConsumer<T> c) {
    consumers.add(c);
    return c;
  }

  WriterProcess add(WriterProcess p) {
    processes.add(p);
    return p;
  }

  /** Closes, stops, unregisters and kills everything; completes when all is done (failures ignored). */
  Future<Void> release(Vertx vertx) {
    List<Future<?>> all = new ArrayList<>();
    clients.forEach(c -> all.add(c.close().otherwiseEmpty()));
    relays.forEach(r -> all.add(r.stop().otherwiseEmpty()));
    consumers.forEach(c -> all.add(c.unregister().otherwiseEmpty()));
    all.add(vertx.executeBlocking(() -> {
      processes.forEach(WriterProcess::kill);
      return null;
    }));
    return Future.join(all).transform(ar -> Future.succeededFuture());
  }
}
