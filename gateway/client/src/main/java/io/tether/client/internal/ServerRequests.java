package io.tether.client.internal;

import io.tether.client.ConnectionState;
import io.tether.client.ServerRequest;
import io.tether.client.TetherException;
import io.tether.protocol.ErrorCode;
import io.tether.protocol.Frame;
import io.tether.protocol.RawJson;
import io.vertx.core.AsyncResult;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.json.Json;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * Requests the server sends the client (docs/PROTOCOL.md §5, {@code gateway.request} from a backend): each is
 * answered with what the application's handler returns, as a reliable {@code response} on the request's stream. An
 * answer that comes after its session was lost is dropped (the server that asked is gone with it).
 */
public final class ServerRequests {

  private final Context ctx;
  private final ReliableChannel channel;
  private final Supplier<Function<ServerRequest, Future<Object>>> handler;
  private final Supplier<ConnectionState> state;
  private final Consumer<Throwable> report;
  /** Counts sessions: an answer is sent only on the session that asked. */
  private int generation;

  /** {@code handler} gives the application's handler at the time a request arrives, or null (none). */
  public ServerRequests(Context ctx, ReliableChannel channel, Supplier<Function<ServerRequest, Future<Object>>> handler,
      Supplier<ConnectionState> state, Consumer<Throwable> report) {
    this.ctx = ctx;
    this.channel = channel;
    this.handler = handler;
    this.state = state;
    this.report = report;
  }

  /** A session started (first or after a re-sync): answers to the earlier session's requests are dropped. */
  public void newSession() {
    generation++;
  }

  public void onRequest(Frame.Request r) {
    int asked = generation;
    Function<ServerRequest, Future<Object>> h = handler.get();
    Future<Object> answer;
    if (h == null) {
      answer = Future.failedFuture(new TetherException(ErrorCode.NO_HANDLER.wire(),
          "this client does not answer server requests"));
    } else {
      try {
        answer = h.apply(new ServerRequest(r.seq(), r.stream(), r.address(), Support.decode(r.body())));
        if (answer == null) {
          answer = Future.failedFuture(new IllegalStateException("the request handler returned no future"));
        }
      } catch (RuntimeException e) {
        report.accept(e);
        answer = Future.failedFuture(e);
      }
    }
    answer.onComplete(ar -> Support.onContext(ctx, () -> answer(asked, r, ar)));
  }

  private void answer(int asked, Frame.Request r, AsyncResult<Object> ar) {
    if (asked != generation || state.get() == ConnectionState.CLOSED) {
      return; // the session that asked is gone
    }
    Frame.Response response;
    if (ar.succeeded()) {
      String json;
      try {
        json = Json.encode(ar.result());
      } catch (RuntimeException e) {
        json = null;
      }
      response = json != null ? new Frame.Response(0, r.stream(), true, RawJson.of(json), null, true)
          : new Frame.Response(0, r.stream(), false, null, new Frame.ErrorInfo(ErrorCode.BACKEND_ERROR.wire(),
              "the client's answer cannot be encoded as JSON"), true);
    } else {
      Throwable t = ar.cause();
      String code = t instanceof TetherException te ? te.code() : ErrorCode.BACKEND_ERROR.wire();
      String message = t instanceof TetherException te ? te.detail() : t.getMessage();
      response = new Frame.Response(0, r.stream(), false, null,
          new Frame.ErrorInfo(code, message == null ? t.getClass().getSimpleName() : message), true);
    }
    Frame.Response answer = response;
    try {
      channel.send(answer::withSeq, true);
    } catch (TetherException e) {
      report.accept(new TetherException(e.code(), "cannot answer server request '" + r.address() + "': "
          + e.detail()));
    }
  }
}
