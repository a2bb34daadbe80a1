package io.tether.gateway.session;

import io.tether.gateway.store.PendingRequest;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;

/**
 * The session's request streams (docs/PROTOCOL.md §5): client requests accepted and not answered yet, which of them
 * another node dispatched (to dispatch again if that node leaves), and how many server-initiated requests are open.
 * Maps are allocated with the first request: an idle session holds none.
 */
final class Streams {

  /** Client request stream → the request's seq. */
  private Map<Long, Long> open;
  /** Unanswered requests that another node (or an earlier start of this one) dispatched, by stream. */
  private Map<Long, PendingRequest> dispatchedElsewhere;
  private int serverRequests;
  /** The socket the session has (its request rate is counted per socket); null: none, no rate. */
  private final Transport socket;

  Streams(Transport socket) {
    this.socket = socket;
  }

  /** Counts one client request against the socket's request rate: false if it is over (docs/PROTOCOL.md §12). */
  boolean withinRequestRate() {
    return socket == null || socket.takeRequest();
  }

  /** Restores the requests a resumed session had open; those dispatched by another instance are remembered. */
  void restore(List<PendingRequest> pending, String instance) {
    for (PendingRequest p : pending) {
      open().put(p.stream(), p.seq());
      if (!instance.equals(p.node())) {
        if (dispatchedElsewhere == null) {
          dispatchedElsewhere = new HashMap<>(4);
        }
        dispatchedElsewhere.put(p.stream(), p);
      }
    }
  }

  boolean isOpen(long stream) {
    return open != null && open.containsKey(stream);
  }

  int openCount() {
    return open == null ? 0 : open.size();
  }

  void open(long stream, long seq) {
    open().put(stream, seq);
  }

  /** Closes a client request stream answered now; returns false if it was not open. */
  boolean close(long stream) {
    if (!isOpen(stream)) {
      return false;
    }
    open.remove(stream);
    if (dispatchedElsewhere != null && dispatchedElsewhere.remove(stream) != null && dispatchedElsewhere.isEmpty()) {
      dispatchedElsewhere = null;
    }
    return true;
  }

  /**
   * Takes the requests dispatched elsewhere whose dispatcher is not {@code alive} and whose stream is still open:
   * they are to be dispatched again from here.
   */
  List<PendingRequest> orphanedBy(Predicate<String> alive) {
    if (dispatchedElsewhere == null) {
      return List.of();
    }
    List<PendingRequest> again = new ArrayList<>();
    dispatchedElsewhere.values().removeIf(p -> {
      if (p.node() == null || !alive.test(p.node())) {
        if (isOpen(p.stream())) {
          again.add(p);
        }
        return true;
      }
      return false;
    });
    if (dispatchedElsewhere.isEmpty()) {
      dispatchedElsewhere = null;
    }
    return again;
  }

  int serverRequests() {
    return serverRequests;
  }

  boolean openServerRequest(int max) {
    if (serverRequests >= max) {
      return false;
    }
    serverRequests++;
    return true;
  }

  void serverRequestClosed() {
    serverRequests--;
  }

  private Map<Long, Long> open() {
    return open == null ? open = new HashMap<>() : open;
  }
}
