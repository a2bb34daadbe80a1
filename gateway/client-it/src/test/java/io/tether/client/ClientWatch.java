package io.tether.client;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;
import java.util.function.Predicate;

/**
 * Test helper: records a client's states and session events and lets a test wait for them as futures, instead of
 * sleeping. Install with {@link #watch(TetherClient)}; {@link #onState} adds an action run on each state change.
 */
final class ClientWatch {

  private final TetherClient client;
  final List<ConnectionState> states = new CopyOnWriteArrayList<>();
  final List<SessionEvent> events = new CopyOnWriteArrayList<>();
  private final List<Waiter<ConnectionState>> stateWaiters = new ArrayList<>();
  private final List<Waiter<SessionEvent>> eventWaiters = new ArrayList<>();
  private volatile Consumer<ConnectionState> stateAction = s -> { };

  private record Waiter<T>(Predicate<T> match, Promise<T> promise) {
  }

  private ClientWatch(TetherClient client) {
    this.client = client;
  }

  static ClientWatch watch(TetherClient client) {
    ClientWatch w = new ClientWatch(client);
    client.stateHandler(w::onStateChange).sessionHandler(w::onEvent);
    return w;
  }

  /** Runs {@code action} on every later state change (on the client's context). */
  ClientWatch onState(Consumer<ConnectionState> action) {
    stateAction = action;
    return this;
  }

  /** Completes when the client is in {@code state}: at once if it is now, else at the next change into it. */
  Future<ConnectionState> reached(ConnectionState state) {
    Promise<ConnectionState> p = Promise.promise();
    synchronized (this) {
      stateWaiters.add(new Waiter<>(s -> s == state, p));
    }
    if (client.state() == state) {
      p.tryComplete(state);
    }
    return p.future();
  }

  /** Completes at the next session event of this kind. */
  Future<SessionEvent> next(SessionEvent.Kind kind) {
    Promise<SessionEvent> p = Promise.promise();
    synchronized (this) {
      eventWaiters.add(new Waiter<>(e -> e.kind() == kind, p));
    }
    return p.future();
  }

  List<SessionEvent.Kind> kinds() {
    return events.stream().map(SessionEvent::kind).toList();
  }

  private void onStateChange(ConnectionState s) {
    states.add(s);
    stateAction.accept(s);
    fire(stateWaiters, s);
  }

  private void onEvent(SessionEvent e) {
    events.add(e);
    fire(eventWaiters, e);
  }

  private <T> void fire(List<Waiter<T>> waiters, T value) {
    List<Waiter<T>> matched = new ArrayList<>();
    synchronized (this) {
      waiters.removeIf(w -> {
        if (w.match().test(value)) {
          matched.add(w);
          return true;
        }
        return false;
      });
    }
    matched.forEach(w -> w.promise().tryComplete(value));
  }
}
