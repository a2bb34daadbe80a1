package io.tether.gateway.session;

import java.util.Collection;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The sessions attached to this node, by session id and by client id (a send by client id to a local client needs
 * no cluster lookup). Thread-safe; each session itself is touched only on its context.
 */
public final class LocalSessions {

  private final Map<String, Session> byId = new ConcurrentHashMap<>();
  private final Map<String, Session> byClient = new ConcurrentHashMap<>();

  /** The session now held here under its id (a takeover replaces the older object); returns that older one. */
  public Session add(Session s) {
    byClient.put(s.clientId(), s);
    return byId.put(s.id(), s);
  }

  /** Forgets {@code s}, unless a newer object for the same session has replaced it. */
  public void remove(Session s) {
    byId.remove(s.id(), s);
    byClient.remove(s.clientId(), s);
  }

  public Session get(String sessionId) {
    return byId.get(sessionId);
  }

  public Session ofClient(String clientId) {
    return byClient.get(clientId);
  }

  public boolean contains(String sessionId) {
    return byId.containsKey(sessionId);
  }

  public int size() {
    return byId.size();
  }

  public boolean isEmpty() {
    return byId.isEmpty();
  }

  public Collection<Session> all() {
    return byId.values();
  }
}
