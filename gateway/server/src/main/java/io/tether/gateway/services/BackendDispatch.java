package io.tether.gateway.services;

import io.tether.gateway.api.BackendFailure;
import io.tether.gateway.api.GatewayApi;
import io.tether.gateway.session.Session;
import io.tether.gateway.session.Tokens;
import io.tether.protocol.ErrorCode;
import io.tether.protocol.Frame;
import io.tether.protocol.NamePatterns;
import io.tether.protocol.RawJson;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.eventbus.ReplyFailure;
import io.vertx.core.json.Json;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Client requests → backends (docs/PROTOCOL.md §8): an accepted, durable request is sent as an event-bus request to
 * its address, with the client's identity and an idempotency key in headers; the reply, or the failure mapped to a
 * protocol error code, becomes the stream's response, delivered wherever the session is by then.
 */
final class BackendDispatch {

  private static final Logger LOG = Logger.getLogger(BackendDispatch.class.getName());

  private final NodeCore core;
  private final NamePatterns addresses;
  /** Client requests forwarded by this node whose reply has not come back yet (a drain waits for them). */
  private final AtomicInteger inFlight;

  BackendDispatch(NodeCore core, AtomicInteger inFlight) {
    this.core = core;
    this.addresses = new NamePatterns(core.options().effectiveAllowedAddresses());
    this.inFlight = inFlight;
  }

  Frame.ErrorInfo checkAddress(Frame.Request r) {
    return addresses.matches(r.address()) ? null
        : new Frame.ErrorInfo(ErrorCode.NOT_ALLOWED.wire(), "address '" + r.address() + "' is not allowed");
  }

  /** Forwards an accepted client request to its backend; the reply (or failure) becomes the stream's response. */
  void dispatch(Session s, Frame.Request r) {
    DeliveryOptions delivery = new DeliveryOptions()
        .setSendTimeout(core.options().getRequestTimeoutMs())
        .addHeader(GatewayApi.HEADER_CLIENT_ID, s.clientId())
        .addHeader(GatewayApi.HEADER_SESSION_ID, s.id())
        .addHeader(GatewayApi.HEADER_REQUEST_ID, s.id() + ":" + r.seq())
        .addHeader(GatewayApi.HEADER_STREAM, Long.toString(r.stream()));
    if (s.grant().authenticated()) {
      delivery.addHeader(GatewayApi.HEADER_PRINCIPAL, s.clientId());
    }
    Object body;
    try {
      body = r.body() == null ? null : Json.decodeValue(r.body().json());
    } catch (RuntimeException e) {
      body = r.body().json();
    }
    long started = System.nanoTime();
    String sessionId = s.id();
    inFlight.incrementAndGet();
    int held = r.body() == null ? 0 : r.body().json().length();
    core.metrics().memory().requestStarted(held);
    core.vertx().eventBus().request(r.address(), body, delivery).onComplete(ar -> {
      inFlight.decrementAndGet();
      core.metrics().memory().requestEnded(held);
      Frame.Response response;
      if (ar.succeeded()) {
        String json = Json.encode(ar.result().body());
        response = json.length() > core.options().getMaxFrameBytes() - 256
            ? error(r.stream(), ErrorCode.TOO_LARGE, "the backend's reply exceeds the frame size limit")
            : new Frame.Response(0, r.stream(), true, RawJson.of(json), null, true);
      } else {
        response = failure(r.stream(), ar.cause());
      }
      core.metrics().request(System.nanoTime() - started, response.ok() ? "ok" : response.error().code());
      respond(sessionId, response);
    });
  }

  /** Dispatches an acknowledged request again, with its original request id, from this node. */
  void redispatch(Session s, Frame.Request r) {
    core.metrics().redispatched();
    LOG.fine(() -> "re-dispatching request " + Tokens.redact(s.id()) + ":" + r.seq() + " to " + r.address());
    dispatch(s, r);
  }

  /**
   * After a store write with these requests failed as indeterminate (Hazelcast: the member holding the primary or the
   * backup left, or the backup did not answer): the write may have been applied, and then the store records this
   * node as their dispatcher, so no resume elsewhere dispatches them while it lives, and the client, told the store
   * has them, does not send them again. Those the store has as this node's are dispatched now (same request id; the
   * reply goes to wherever the session is); the rest were not stored and the client resends them. Found by
   * PartitionFaultTest and DoubleCrashFaultTest: such requests were never answered. Retried a few times, 1 s apart,
   * while the store cannot answer.
   */
  void writeUnsure(Session s, List<Frame.Request> requests, int attempts) {
    core.store().pendingOf(s.id(), core.instance()).onComplete(ar -> {
      if (ar.failed()) {
        if (attempts > 1) {
          core.vertx().setTimer(1000, id -> writeUnsure(s, requests, attempts - 1));
        } else {
          LOG.log(Level.WARNING, "could not learn whether " + requests.size() + " requests of session "
              + Tokens.redact(s.id()) + " were stored", ar.cause());
        }
        return;
      }
      java.util.Set<Long> mine = new java.util.HashSet<>();
      for (long seq : ar.result()) {
        mine.add(seq);
      }
      for (Frame.Request r : requests) {
        if (mine.contains(r.seq())) {
          redispatch(s, r);
        }
      }
    });
  }

  /** Delivers a response to its session wherever it is now (it completes the request's stream). */
  void respond(String sessionId, Frame.Response response) {
    respond(sessionId, response, RESPOND_ATTEMPTS);
  }

  /** Attempts at delivering an answer while its session cannot store it (500 ms apart: the session moves meanwhile). */
  private static final int RESPOND_ATTEMPTS = 40;

  /**
   * Delivered only while the request is open: a second dispatch's late reply (its first dispatcher was cut off by a
   * split and the request re-dispatched; PartitionFaultTest saw 7 requests answered twice) is dropped, one response
   * each. An answer the session could not store (its write failed: the store lost a member, the session is moving)
   * is tried again until it lands wherever the session went, or the session is gone: this node is the request's
   * dispatcher, nobody else will answer it (PartitionFaultTest and DoubleCrashFaultTest saw such answers dropped).
   */
  private void respond(String sessionId, Frame.Response response, int attempts) {
    core.router().deliver(sessionId, List.of(core.codec().template(response)), response.stream(), response.stream(),
            null)
        .onFailure(e -> {
          BackendFailure f = BackendFailure.of(e);
          boolean giveUp = f == BackendFailure.STREAM_CLOSED || f == BackendFailure.NO_SESSION || attempts <= 1;
          LOG.log(f == BackendFailure.STREAM_CLOSED ? Level.INFO : Level.WARNING, "response on stream "
              + response.stream() + " for session " + Tokens.redact(sessionId) + " could not be buffered: "
              + e.getMessage() + (giveUp ? "" : "; trying again"));
          if (!giveUp) {
            core.vertx().setTimer(500, id -> respond(sessionId, response, attempts - 1));
          }
        });
  }

  private static Frame.Response error(long stream, ErrorCode code, String message) {
    return new Frame.Response(0, stream, false, null, new Frame.ErrorInfo(code.wire(), message), true);
  }

  /** Maps an event-bus failure to the response error the client sees (docs/PROTOCOL.md §8). */
  static Frame.Response failure(long stream, Throwable cause) {
    if (cause instanceof ReplyException re) {
      if (re.failureType() == ReplyFailure.NO_HANDLERS) {
        return error(stream, ErrorCode.NO_HANDLER, "no backend serves this address");
      }
      if (re.failureType() == ReplyFailure.TIMEOUT) {
        return error(stream, ErrorCode.TIMEOUT, "the backend did not answer in time");
      }
      ErrorCode code = switch (re.failureCode()) {
        case 401 -> ErrorCode.UNAUTHORIZED;
        case 403 -> ErrorCode.NOT_ALLOWED;
        case 408, 504 -> ErrorCode.TIMEOUT;
        case 429 -> ErrorCode.RATE_LIMITED;
        default -> ErrorCode.BACKEND_ERROR;
      };
      return error(stream, code, re.getMessage());
    }
    return error(stream, ErrorCode.BACKEND_ERROR, String.valueOf(cause.getMessage()));
  }
}
