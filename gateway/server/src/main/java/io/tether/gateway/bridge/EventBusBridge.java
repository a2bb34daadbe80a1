package io.tether.gateway.bridge;

import io.tether.gateway.api.BackendFailure;
import io.tether.gateway.api.GatewayApi;
import io.tether.gateway.routing.NodeEndpoint;
import io.tether.gateway.services.GatewayServices;
import io.tether.protocol.Frame;
import io.tether.protocol.RawJson;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.eventbus.EventBus;
import io.vertx.core.eventbus.Message;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.json.Json;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.List;

/**
 * The gateway's event-bus API for backend verticles (docs/PROTOCOL.md §8): send to a client, ask a client, publish
 * to a topic, query presence. Malformed messages fail with code 400 and a message naming the field; a missing
 * session or client fails with 404; a full client buffer with 409.
 */
public final class EventBusBridge extends VerticleBase {

  private final GatewayServices services;
  /** The public gateway.* consumers: withdrawn when the node drains, so backends' calls go to other nodes. */
  private final List<MessageConsumer<Object>> publicApi = new ArrayList<>();

  public EventBusBridge(GatewayServices services) {
    this.services = services;
  }

  @Override
  public Future<?> start() {
    EventBus bus = vertx.eventBus();
    publicApi.add(bus.consumer(GatewayApi.SEND, this::send));
    publicApi.add(bus.consumer(GatewayApi.REQUEST, this::request));
    publicApi.add(bus.consumer(GatewayApi.PUBLISH, this::publish));
    publicApi.add(bus.consumer(GatewayApi.PRESENCE, this::presence));
    publicApi.add(bus.consumer(GatewayApi.KICK, this::kick));
    services.onDrain(() -> publicApi.forEach(MessageConsumer::unregister));
    return Future.all(publicApi.stream().map(MessageConsumer::completion).toList());
  }

  /** A bad message from a backend: the reason names the field. */
  private static final class BadMessage extends RuntimeException {
    BadMessage(String message) {
      super(message, null, false, false);
    }
  }

  private static JsonObject json(Message<Object> m) {
    if (m.body() instanceof JsonObject o) {
      return o;
    }
    throw new BadMessage("the message body must be a JSON object");
  }

  private static String requireString(JsonObject o, String field) {
    Object v = o.getValue(field);
    if (!(v instanceof String s) || s.isEmpty()) {
      throw new BadMessage("field '" + field + "' must be a non-empty string");
    }
    return s;
  }

  private static long optionalLong(JsonObject o, String field, long dflt, long min, long max) {
    Object v = o.getValue(field);
    if (v == null) {
      return dflt;
    }
    if (!(v instanceof Number n) || n.longValue() < min || n.longValue() > max || n.doubleValue() != n.longValue()) {
      throw new BadMessage("field '" + field + "' must be an integer from " + min + " to " + max);
    }
    return n.longValue();
  }

  /** The session a message targets: {@code sessionId} as given, or the current session of {@code clientId}. */
  private Future<String> target(JsonObject o) {
    if (o.getValue("sessionId") != null) {
      return Future.succeededFuture(requireString(o, "sessionId"));
    }
    String clientId = requireString(o, "clientId");
    return services.sessionOf(clientId).compose(id -> id == null
        ? Future.failedFuture(BackendFailure.NO_SESSION.refuse("no session for client '" + clientId + "'"))
        : Future.succeededFuture(id));
  }

  private <T> void reply(Message<Object> m, Future<T> result, java.util.function.Function<T, Object> toReply) {
    // A draining node waits for these before it leaves: their replies must not be lost with it.
    services.track(result);
    result.onComplete(ar -> {
      if (ar.succeeded()) {
        m.reply(toReply.apply(ar.result()));
      } else if (ar.cause() instanceof BadMessage bad) {
        var failure = BackendFailure.BAD_MESSAGE.toReply(bad.getMessage());
        m.fail(failure.failureCode(), failure.getMessage());
      } else {
        var failure = NodeEndpoint.asReply(ar.cause());
        m.fail(failure.failureCode(), failure.getMessage());
      }
    });
  }

  private static <T> Future<T> guarded(java.util.function.Supplier<Future<T>> action) {
    try {
      return action.get();
    } catch (BadMessage e) {
      return Future.failedFuture(e);
    }
  }

  // -- gateway.send -------------------------------------------------------------------------------------------

  private void send(Message<Object> m) {
    reply(m, guarded(() -> {
      JsonObject o = json(m);
      long qos = optionalLong(o, "qos", 1, 0, 1);
      long stream = optionalLong(o, "stream", 0, 0, Long.MAX_VALUE);
      String resource = o.getValue("resource") == null ? null : requireString(o, "resource");
      List<String> bodies = bodies(o);
      String sendId = o.getValue("id") == null ? null : requireString(o, "id");
      if (sendId != null && sendId.length() > 128) {
        throw new BadMessage("field 'id' must be at most 128 characters");
      }
      return target(o).compose(sessionId -> {
        if (qos == 0) {
          return sendVolatile(sessionId, stream, resource, bodies);
        }
        return services.push(sessionId, stream, resource, bodies, sendId).map(seq -> new JsonObject().put("seq", seq));
      });
    }), r -> r);
  }

  private Future<JsonObject> sendVolatile(String sessionId, long stream, String resource, List<String> bodies) {
    Future<Integer> delivered = Future.succeededFuture(0);
    for (String body : bodies) {
      delivered = delivered.compose(n -> services.sendVolatile(sessionId,
          new Frame.Push(0, stream, resource, RawJson.of(body))).map(ok -> ok ? n + 1 : n));
    }
    return delivered.map(n -> new JsonObject().put("seq", 0).put("delivered", n));
  }

  /** {@code body} (one push) or {@code bodies} (a batch, in order), each checked against the frame size limit. */
  private List<String> bodies(JsonObject o) {
    List<String> out = new ArrayList<>();
    if (o.getValue("bodies") != null) {
      if (!(o.getValue("bodies") instanceof JsonArray arr) || arr.isEmpty() || arr.size() > GatewayApi.MAX_BATCH) {
        throw new BadMessage("field 'bodies' must be an array of 1 to " + GatewayApi.MAX_BATCH + " values");
      }
      arr.forEach(b -> out.add(Json.encode(b)));
    } else if (o.containsKey("body")) {
      out.add(Json.encode(o.getValue("body")));
    } else {
      throw new BadMessage("field 'body' (or 'bodies') is required");
    }
    int limit = services.options().getMaxFrameBytes() - 256;
    for (String b : out) {
      if (b.length() > limit) {
        throw new BadMessage("a body exceeds the frame size limit (" + limit + " bytes of JSON)");
      }
    }
    return out;
  }

  // -- gateway.request ----------------------------------------------------------------------------------------

  private void request(Message<Object> m) {
    reply(m, guarded(() -> {
      JsonObject o = json(m);
      String address = requireString(o, "address");
      long timeout = optionalLong(o, "timeoutMs", services.options().getRequestTimeoutMs(), 1, 3_600_000);
      Object body = o.getValue("body");
      return target(o).compose(sessionId -> services.requestClient(sessionId, address, body, timeout));
    }), r -> r);
  }

  // -- gateway.publish ----------------------------------------------------------------------------------------

  private void publish(Message<Object> m) {
    reply(m, guarded(() -> {
      JsonObject o = json(m);
      String topic = requireString(o, "topic");
      if (topic.length() > 256) {
        throw new BadMessage("field 'topic' must be at most 256 characters");
      }
      if (!o.containsKey("body")) {
        throw new BadMessage("field 'body' is required");
      }
      Object body = o.getValue("body");
      if (Json.encode(body).length() > services.options().getMaxFrameBytes() - 512) {
        throw new BadMessage("the body exceeds the frame size limit");
      }
      return services.publish(topic, body);
    }), version -> new JsonObject().put("version", version));
  }

  // -- gateway.kick -------------------------------------------------------------------------------------------

  private void kick(Message<Object> m) {
    reply(m, guarded(() -> services.kick(requireString(json(m), "clientId"))), kicked -> new JsonObject()
        .put("kicked", kicked));
  }

  // -- gateway.presence ---------------------------------------------------------------------------------------

  private void presence(Message<Object> m) {
    reply(m, guarded(() -> {
      String clientId = requireString(json(m), "clientId");
      return services.presence(clientId).compose(p -> p == null
          ? Future.failedFuture(BackendFailure.NO_SESSION.refuse("unknown client '" + clientId + "'"))
          : Future.succeededFuture(p.toJson()));
    }), r -> r);
  }
}
