package io.tether.gateway.management;

import io.tether.gateway.api.GatewayApi;
import io.tether.gateway.services.GatewayServices;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.eventbus.ReplyFailure;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonObject;

/**
 * The HTTP API for backends that are not Vert.x verticles (docs/PROTOCOL.md §10): publish to a topic, send to a
 * client, read a client's presence. The caller ({@link ManagementServer}) has checked the API key already
 * ({@link ManagementAuth}).
 * Calls go through the same event-bus API as verticles use ({@code gateway.*}), so validation, routing and failures
 * are the same; the event-bus failure code becomes the HTTP status.
 */
final class HttpApi {

  static final String PREFIX = "/api/";
  private static final String PRESENCE = PREFIX + "presence/";
  /** Largest request body accepted: a send of the most bodies a batch may hold is far below this. */
  private static final int MAX_BODY_BYTES = 4 * 1024 * 1024;

  private final Vertx vertx;
  private final DeliveryOptions delivery;

  HttpApi(Vertx vertx, GatewayServices mgr) {
    this.vertx = vertx;
    // On a gateway node its own bridge answers; a backend member has none and uses any gateway node's.
    this.delivery = new DeliveryOptions().setLocalOnly(!mgr.options().isBackendOnly())
        .setSendTimeout(mgr.options().getRequestTimeoutMs());
  }

  /** Answers an authorised call under {@link #PREFIX}. */
  void handle(HttpServerRequest req) {
    String path = req.path();
    if (req.method() == HttpMethod.POST && path.equals(PREFIX + "publish")) {
      withBody(req, body -> call(req, GatewayApi.PUBLISH, body));
    } else if (req.method() == HttpMethod.POST && path.equals(PREFIX + "send")) {
      withBody(req, body -> call(req, GatewayApi.SEND, body));
    } else if (req.method() == HttpMethod.GET && path.startsWith(PRESENCE) && path.length() > PRESENCE.length()) {
      call(req, GatewayApi.PRESENCE, new JsonObject().put("clientId", path.substring(PRESENCE.length())));
    } else {
      ManagementServer.json(req, 404, error("no such API call: " + req.method() + " " + path));
    }
  }

  /** Reads a JSON object body of at most {@link #MAX_BODY_BYTES}; answers 413 or 400 itself. */
  private void withBody(HttpServerRequest req, java.util.function.Consumer<JsonObject> then) {
    String length = req.getHeader("Content-Length");
    if (length != null && length.matches("\\d{1,12}") && Long.parseLong(length) > MAX_BODY_BYTES) {
      ManagementServer.json(req, 413, error("the body exceeds " + MAX_BODY_BYTES + " bytes"));
      return;
    }
    Buffer body = Buffer.buffer();
    boolean[] tooLarge = {false};
    req.handler(chunk -> {
      if (!tooLarge[0] && body.length() + chunk.length() > MAX_BODY_BYTES) {
        tooLarge[0] = true;
        ManagementServer.json(req, 413, error("the body exceeds " + MAX_BODY_BYTES + " bytes"));
      } else if (!tooLarge[0]) {
        body.appendBuffer(chunk);
      }
    });
    req.endHandler(v -> {
      if (tooLarge[0]) {
        return;
      }
      JsonObject json;
      try {
        json = body.length() == 0 ? null : body.toJsonObject();
      } catch (DecodeException | ClassCastException e) {
        json = null;
      }
      if (json == null) {
        ManagementServer.json(req, 400, error("the body must be a JSON object"));
        return;
      }
      then.accept(json);
    });
  }

  private void call(HttpServerRequest req, String address, JsonObject message) {
    vertx.eventBus().<Object>request(address, message, delivery).onComplete(ar -> {
      if (ar.succeeded()) {
        Object reply = ar.result().body();
        ManagementServer.json(req, 200, reply instanceof JsonObject o ? o : new JsonObject().put("result", reply));
      } else {
        ManagementServer.json(req, status(ar.cause()), error(ar.cause().getMessage()));
      }
    });
  }

  /** The event-bus failure as an HTTP status (the gateway's failure codes are HTTP-like already). */
  static int status(Throwable cause) {
    if (cause instanceof ReplyException re) {
      if (re.failureType() == ReplyFailure.NO_HANDLERS) {
        return 503;
      }
      if (re.failureType() == ReplyFailure.TIMEOUT) {
        return 504;
      }
      int code = re.failureCode();
      return code >= 400 && code <= 599 ? code : 500;
    }
    return 500;
  }

  private static JsonObject error(String message) {
    return new JsonObject().put("error", message);
  }
}
