package io.tether.gateway.session;

/**
 * Presence states of a session (docs/PROTOCOL.md §4). A session object on a node is ONLINE or SUSPECT while a socket
 * is attached; DETACHED and CLOSED are the states it leaves behind in the cluster. All transitions happen in
 * {@link Session#setState}.
 */
public enum SessionState {
  ONLINE, SUSPECT, DETACHED, CLOSED;

  public boolean attached() {
    return this == ONLINE || this == SUSPECT;
  }
}
