package io.tether.gateway.api;

/**
 * The gateway's public event-bus API for backend verticles (docs/PROTOCOL.md §8): the addresses it serves, the event
 * it publishes, and the headers it puts on the client requests it forwards. A backend needs only this package.
 */
public final class GatewayApi {

  /** Send a push (or a batch of them) to a client: {@code {"clientId"|"sessionId", "body"|"bodies", "qos"?, "id"?}}. */
  public static final String SEND = "gateway.send";
  /** Ask a client (a server-initiated request); the reply is the client's response body. */
  public static final String REQUEST = "gateway.request";
  /** Publish a topic's new value; the reply carries its version. */
  public static final String PUBLISH = "gateway.publish";
  /** A client's presence record. */
  public static final String PRESENCE = "gateway.presence";
  /**
   * Default address of the authenticator asked by {@code --auth backend}: {@code {"clientId","token","attrs",
   * "remoteAddress","origin"}} → {@code {"ok":true,"clientId"?,"expiresAt"?,"addresses"?,"topics"?,"attrs"?}} or
   * {@code {"ok":false,"reason":…}} (docs/SECURITY.md).
   */
  public static final String AUTH = "gateway.auth";
  /** Ends a client's session for good ({@code bye} reason {@code kicked}); a resume of it is then refused. */
  public static final String KICK = "gateway.kick";
  /** Published by the gateway at every session state change. */
  public static final String PRESENCE_EVENTS = "gateway.presence.events";

  /** Header of a forwarded client request: the client's id. */
  public static final String HEADER_CLIENT_ID = "gateway.clientId";
  /**
   * On forwarded client requests: the clientId as its credential proved it (auth jwt or backend); absent with auth
   * none, where {@link #HEADER_CLIENT_ID} is only what the client claims.
   */
  public static final String HEADER_PRINCIPAL = "gateway.principal";
  /** Header of a forwarded client request: the session's id. */
  public static final String HEADER_SESSION_ID = "gateway.sessionId";
  /** Header of a forwarded client request: unique per session and seq, stable across re-dispatch (idempotency key). */
  public static final String HEADER_REQUEST_ID = "gateway.requestId";
  /** Header of a forwarded client request: the request's stream id. */
  public static final String HEADER_STREAM = "gateway.stream";

  /** Largest batch accepted in one {@code gateway.send} ({@code bodies}). */
  public static final int MAX_BATCH = 1000;

  private GatewayApi() {
  }
}
