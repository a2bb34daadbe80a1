package io.tether.bench;

import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.http.WebSocket;
import io.vertx.core.http.WebSocketClient;
import io.vertx.core.http.WebSocketConnectOptions;
import io.vertx.core.json.JsonObject;

import java.util.function.Supplier;

/**
 * Session takeover for scripts/bench-resume.sh: a session says hello on one node and keeps that socket open; a second
 * socket, already connected to another node, sends {@code resume}. Measured from just before the resume is written:
 * {@code resumed} on the new socket, and the close of the old socket by the server (PROTOCOL.md §2: 1008, never
 * written to again). All state lives on one event-loop context.
 */
final class TakeoverProbe {

  final String clientId;
  private final Context ctx;
  private final WebSocketClient client;

  private String sessionId;
  private String token;
  private WebSocket oldWs;
  private WebSocket newWs;
  private Promise<Void> welcomed;
  private Promise<Void> done;
  private boolean awaitingResumed;

  long tSend;
  long tResumed;
  long tOldClosed;
  Short oldCloseCode;
  /** Text frames the old socket got after the resume was sent (the protocol says: none). */
  int oldFramesAfter;
  String failure;

  TakeoverProbe(String clientId, Context ctx, WebSocketClient client) {
    this.clientId = clientId;
    this.ctx = ctx;
    this.client = client;
  }

  Future<Void> hello(WebSocketConnectOptions first) {
    return call(() -> client.connect(first).compose(w -> {
      oldWs = w;
      welcomed = Promise.promise();
      w.textMessageHandler(this::onOldText);
      w.exceptionHandler(e -> { });
      w.closeHandler(v -> {
        if (tSend != 0 && tOldClosed == 0) {
          tOldClosed = System.nanoTime();
          oldCloseCode = w.closeStatusCode();
          checkDone();
        }
        welcomed.tryFail("closed before welcome");
      });
      w.writeTextMessage(ClientFrames.hello(clientId));
      return welcomed.future();
    }));
  }

  /**
   * Connects to {@code second}, then sends the resume; completes when both the new socket's {@code resumed} and the
   * old socket's close are in, or a resume failure.
   */
  Future<Void> takeover(WebSocketConnectOptions second) {
    return call(() -> client.connect(second).compose(w -> {
      newWs = w;
      done = Promise.promise();
      w.textMessageHandler(this::onNewText);
      w.exceptionHandler(e -> { });
      w.closeHandler(v -> {
        if (tResumed == 0) {
          fail("new socket closed before resumed (code " + w.closeStatusCode() + ")");
        }
      });
      awaitingResumed = true;
      tSend = System.nanoTime();
      w.writeTextMessage(ClientFrames.resume(sessionId, token, 0));
      return done.future();
    }));
  }

  Future<Void> giveUp(String why) {
    return call(() -> {
      if (done != null && !done.future().isComplete()) {
        fail(why + (tResumed == 0 ? " (no resumed)" : "") + (tOldClosed == 0 ? " (old socket still open)" : ""));
      }
      return Future.succeededFuture();
    });
  }

  Future<Void> bye() {
    return call(() -> {
      Future<Void> closed = Future.succeededFuture();
      if (newWs != null && tResumed != 0) {
        newWs.writeTextMessage(ClientFrames.bye());
        closed = newWs.close((short) 1000).otherwiseEmpty();
      } else if (oldWs != null && tSend == 0) {
        oldWs.writeTextMessage(ClientFrames.bye());
        closed = oldWs.close((short) 1000).otherwiseEmpty();
      }
      if (oldWs != null && tOldClosed == 0 && tSend != 0) {
        oldWs.close();
      }
      return closed;
    });
  }

  private void onOldText(String text) {
    JsonObject frame = new JsonObject(text);
    if (tSend != 0) {
      oldFramesAfter++;
      return;
    }
    if ("welcome".equals(frame.getString("type"))) {
      sessionId = frame.getString("sessionId");
      token = frame.getString("resumeToken");
      welcomed.tryComplete();
    }
  }

  private void onNewText(String text) {
    JsonObject frame = new JsonObject(text);
    switch (frame.getString("type", "")) {
      case "resumed" -> {
        if (awaitingResumed) {
          awaitingResumed = false;
          tResumed = System.nanoTime();
          checkDone();
        }
      }
      case "error" -> fail("error on the new socket: " + text);
      default -> { }
    }
  }

  private void checkDone() {
    if (done != null && tResumed != 0 && tOldClosed != 0) {
      done.tryComplete();
    }
  }

  private void fail(String why) {
    if (failure == null) {
      failure = why;
    }
    if (done != null) {
      done.tryComplete();
    }
  }

  private <T> Future<T> call(Supplier<Future<T>> action) {
    Promise<T> result = Promise.promise();
    ctx.runOnContext(v -> action.get().onComplete(result));
    return result.future();
  }
}
