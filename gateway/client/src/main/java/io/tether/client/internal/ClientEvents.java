package io.tether.client.internal;

import io.tether.client.ConnectionState;
import io.tether.client.ServerRequest;
import io.tether.client.SessionEvent;
import io.tether.protocol.Frame;
import io.vertx.core.Future;
import java.util.function.Function;

/**
 * What the parts tell the application. Implemented by the facade, which calls the application's handlers (and
 * reports what they throw); called on the client's context.
 */
public interface ClientEvents {

  /** A push for the application: stream 0 (reliable or volatile), or a related resource of a request. */
  void push(Frame.Push push);

  /** A notification of a followed topic. */
  void notification(Frame.Notify notify);

  /** The application's handler for server requests at this moment, or null (none). */
  Function<ServerRequest, Future<Object>> requestHandler();

  void state(ConnectionState state);

  void session(SessionEvent event);

  /** Every text received on the current connection, before it is decoded (for the wiretap). */
  void inbound(String text);

  /** Something that is not the outcome of a call (docs: {@code exceptionHandler}). */
  void problem(Throwable t);
}
