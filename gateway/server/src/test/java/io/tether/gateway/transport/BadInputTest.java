package io.tether.gateway.transport;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tether.gateway.GatewayNode;
import io.tether.gateway.testing.NodeExtension;
import io.tether.gateway.testing.TestNodes;
import io.tether.gateway.testing.WireClient;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.Timeout;
import io.vertx.junit5.VertxExtension;
import io.vertx.junit5.VertxTestContext;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Bad input (docs/PROTOCOL.md §7): every malformed or forbidden frame gets its error — code, fatal flag and, when
 * fatal, the close code — and never harms another session: each test opens a bystander session on the same node
 * before the bad input and does a {@code demo.echo} round trip on it afterwards.
 */
@ExtendWith(VertxExtension.class)
@Timeout(value = 30, timeUnit = TimeUnit.SECONDS)
class BadInputTest {

  @RegisterExtension
  static final NodeExtension NODE = NodeExtension.start(o -> o);
  private static GatewayNode node;


  // ---------------------------------------------------------------------------------------------------------
  // helpers

  /**
   * Opens a bystander session on {@code target}, runs {@code test}, then checks that the bystander still gets a
   * demo.echo answered.
   */
  private static Future<Void> withBystander(Vertx vertx, GatewayNode target, String name,
      Function<WireClient, Future<?>> test) {
    return WireClient.connect(vertx, target.port())
        .compose(bystander -> bystander.hello(name + "-bystander")
            .compose(w -> test.apply(bystander))
            .compose(x -> echo(bystander))
            .mapEmpty());
  }

  private static Future<Void> withBystander(Vertx vertx, String name, Function<WireClient, Future<?>> test) {
    return withBystander(vertx, node, name, test);
  }

  /** Connects and says hello as {@code clientId}. */
  private static Future<WireClient> session(Vertx vertx, String clientId) {
    return WireClient.connect(vertx, node.port()).compose(c -> c.hello(clientId).map(w -> c));
  }

  /** A demo.echo round trip on {@code c}: the response on its stream carries the same body. */
  private static Future<Void> echo(WireClient c) {
    long seq = c.nextSeq();
    long stream = 2 * seq - 1;
    JsonObject body = new JsonObject().put("probe", UUID.randomUUID().toString());
    Future<JsonObject> response = c.nextMatching("the echo response on stream " + stream,
        f -> "response".equals(f.getString("type")) && Long.valueOf(stream).equals(f.getLong("stream")));
    return c.send(request(seq, stream, "demo.echo", body)).compose(v -> response).map(resp -> {
      assertEquals(true, resp.getBoolean("ok"), "echo answered: " + resp.encode());
      assertEquals(body, resp.getJsonObject("body"), "echo body: " + resp.encode());
      return null;
    });
  }

  private static JsonObject request(long seq, long stream, String address, JsonObject body) {
    return new JsonObject().put("type", "request").put("seq", seq).put("stream", stream).put("address", address)
        .put("body", body);
  }

  /** Checks an error frame's code and fatal flag. */
  private static JsonObject assertError(JsonObject error, String code, boolean fatal) {
    assertEquals("error", error.getString("type"), error.encode());
    assertEquals(code, error.getString("code"), error.encode());
    assertEquals(fatal, error.getBoolean("fatal"), "fatal flag: " + error.encode());
    return error;
  }

  /** Non-fatal: the error, then the offending session itself still works. */
  private static Future<Void> nonFatal(WireClient c, String code) {
    return c.next("error").map(e -> assertError(e, code, false)).compose(e -> echo(c));
  }

  /** Fatal: the error, then the socket is closed with {@code closeCode}. */
  private static Future<Void> fatal(WireClient c, String code, int closeCode) {
    return c.next("error").map(e -> assertError(e, code, true))
        .compose(e -> c.closed())
        .map(status -> {
          assertEquals(Short.valueOf((short) closeCode), status, "close code");
          return null;
        });
  }

  // ---------------------------------------------------------------------------------------------------------
  // malformed frames after the handshake: non-fatal

  /** Verifies that a text frame that is not JSON gets a non-fatal bad_frame and the session carries on. */
  @Test
  void nonJsonTextIsNonFatalBadFrame(Vertx vertx, VertxTestContext ctx) {
    withBystander(vertx, "bad-nonjson", b -> session(vertx, "bad-nonjson").compose(c -> {
      c.sendText("this is {not json");
      return nonFatal(c, "bad_frame");
    })).onComplete(ctx.succeedingThenComplete());
  }

  /** Verifies that a JSON array instead of an object gets a non-fatal bad_frame and the session carries on. */
  @Test
  void jsonArrayIsNonFatalBadFrame(Vertx vertx, VertxTestContext ctx) {
    withBystander(vertx, "bad-array", b -> session(vertx, "bad-array").compose(c -> {
      c.sendText("[{\"type\":\"ping\"}]");
      return nonFatal(c, "bad_frame");
    })).onComplete(ctx.succeedingThenComplete());
  }

  /** Verifies that a field of the wrong type (seq as a string) gets a non-fatal bad_frame. */
  @Test
  void wrongFieldTypeIsNonFatalBadFrame(Vertx vertx, VertxTestContext ctx) {
    withBystander(vertx, "bad-type", b -> session(vertx, "bad-type").compose(c -> {
      // Not a valid frame, so it does not consume seq 1: the echo that follows uses it.
      c.send(new JsonObject().put("type", "request").put("seq", "1").put("stream", 1).put("address", "demo.echo")
          .put("body", new JsonObject()));
      return nonFatal(c, "bad_frame");
    })).onComplete(ctx.succeedingThenComplete());
  }

  /** Verifies that a request without its required address gets a non-fatal bad_frame. */
  @Test
  void requestWithoutAddressIsNonFatalBadFrame(Vertx vertx, VertxTestContext ctx) {
    withBystander(vertx, "bad-missing", b -> session(vertx, "bad-missing").compose(c -> {
      c.send(new JsonObject().put("type", "request").put("seq", 1).put("stream", 1).put("body", new JsonObject()));
      return nonFatal(c, "bad_frame");
    })).onComplete(ctx.succeedingThenComplete());
  }

  /** Verifies that a frame of an unknown type gets a non-fatal unknown_type. */
  @Test
  void unknownTypeIsNonFatalUnknownType(Vertx vertx, VertxTestContext ctx) {
    withBystander(vertx, "bad-unknown", b -> session(vertx, "bad-unknown").compose(c -> {
      c.send(new JsonObject().put("type", "frobnicate").put("seq", 1));
      return nonFatal(c, "unknown_type");
    })).onComplete(ctx.succeedingThenComplete());
  }

  /** Verifies that a binary WebSocket frame gets a non-fatal bad_frame. */
  @Test
  void binaryFrameIsNonFatalBadFrame(Vertx vertx, VertxTestContext ctx) {
    withBystander(vertx, "bad-binary", b -> session(vertx, "bad-binary").compose(c -> {
      c.sendBinary(Buffer.buffer(new JsonObject().put("type", "ping").encode()));
      return nonFatal(c, "bad_frame");
    })).onComplete(ctx.succeedingThenComplete());
  }

  /** Verifies that an ack beyond the last frame the server sent gets a non-fatal bad_frame. */
  @Test
  void ackBeyondWhatWasSentIsNonFatalBadFrame(Vertx vertx, VertxTestContext ctx) {
    withBystander(vertx, "bad-ack", b -> session(vertx, "bad-ack").compose(c -> {
      // The server has sent no reliable frame yet.
      c.ack(5);
      return nonFatal(c, "bad_frame");
    })).onComplete(ctx.succeedingThenComplete());
  }

  /** Verifies that hello on an established session gets a non-fatal bad_frame and does not start a new session. */
  @Test
  void helloOnEstablishedSessionIsNonFatalBadFrame(Vertx vertx, VertxTestContext ctx) {
    withBystander(vertx, "bad-rehello", b -> session(vertx, "bad-rehello").compose(c -> {
      String sessionId = c.sessionId();
      c.send(new JsonObject().put("type", "hello").put("clientId", "bad-rehello"));
      return nonFatal(c, "bad_frame")
          .compose(v -> node.vertx().eventBus().<JsonObject>request("gateway.presence",
              new JsonObject().put("clientId", "bad-rehello")))
          .map(m -> {
            assertEquals(sessionId, m.body().getString("sessionId"), "still the first session: " + m.body());
            assertEquals("ONLINE", m.body().getString("state"));
            return null;
          });
    })).onComplete(ctx.succeedingThenComplete());
  }

  /** Verifies that resume on an established session gets a non-fatal bad_frame. */
  @Test
  void resumeOnEstablishedSessionIsNonFatalBadFrame(Vertx vertx, VertxTestContext ctx) {
    withBystander(vertx, "bad-reresume", b -> session(vertx, "bad-reresume").compose(c -> {
      c.send(new JsonObject().put("type", "resume").put("sessionId", c.sessionId())
          .put("resumeToken", c.resumeToken()).put("lastSeq", 0));
      return nonFatal(c, "bad_frame");
    })).onComplete(ctx.succeedingThenComplete());
  }

  // ---------------------------------------------------------------------------------------------------------
  // forbidden requests: answered on their stream

  /** Verifies that a request to an address outside the allowlist is answered ok:false with not_allowed. */
  @Test
  void requestToForbiddenAddressIsAnsweredNotAllowed(Vertx vertx, VertxTestContext ctx) {
    withBystander(vertx, "bad-forbidden", b -> session(vertx, "bad-forbidden").compose(c -> {
      c.send(request(c.nextSeq(), 1, "secret.admin", new JsonObject()));
      return c.next("response").map(resp -> {
        assertEquals(1L, resp.getLong("stream"), resp.encode());
        assertEquals(false, resp.getBoolean("ok"), resp.encode());
        assertEquals(true, resp.getBoolean("fin"), resp.encode());
        assertEquals("not_allowed", resp.getJsonObject("error").getString("code"), resp.encode());
        return null;
      }).compose(v -> echo(c));
    })).onComplete(ctx.succeedingThenComplete());
  }

  /** Verifies that a client request on an even (server-initiated) stream id is refused by an error naming its seq. */
  @Test
  void requestOnEvenStreamIsRefusedByAnErrorNamingIt(Vertx vertx, VertxTestContext ctx) {
    withBystander(vertx, "bad-even", b -> session(vertx, "bad-even").compose(c -> {
      long seq = c.nextSeq();
      c.send(request(seq, 2, "demo.echo", new JsonObject()));
      return c.next("error").map(error -> {
        assertEquals("bad_frame", error.getString("code"), error.encode());
        assertEquals(seq, error.getLong("refSeq"), "the error names the refused request: " + error.encode());
        assertEquals(false, error.getBoolean("fatal"), error.encode());
        return null;
      }).compose(v -> echo(c));
    })).onComplete(ctx.succeedingThenComplete());
  }

  /**
   * Verifies that a request on a stream another request still holds is refused by an error naming it, and that the
   * first request is still answered on that stream (a refusal sent on the stream would have been taken for its
   * answer, and closed it).
   */
  @Test
  void requestOnAStreamInUseIsRefusedAndTheFirstRequestIsStillAnswered(Vertx vertx, VertxTestContext ctx) {
    withBystander(vertx, "bad-reuse", b -> session(vertx, "bad-reuse").compose(c -> {
      long first = c.nextSeq();
      Future<JsonObject> question = c.nextMatching("demo.question", f -> "request".equals(f.getString("type")));
      c.send(request(first, 5, "demo.ask", new JsonObject().put("body", "q")));
      return question.compose(q -> {
        long second = c.nextSeq();
        Future<JsonObject> error = c.next("error");
        c.send(request(second, 5, "demo.echo", new JsonObject()));
        return error.map(e -> {
          assertEquals("bad_frame", e.getString("code"), e.encode());
          assertEquals(second, e.getLong("refSeq"), e.encode());
          return q;
        });
      }).compose(q -> {
        Future<JsonObject> answer = c.nextMatching("the response on stream 5",
            f -> "response".equals(f.getString("type")) && Long.valueOf(5).equals(f.getLong("stream")));
        c.send(new JsonObject().put("type", "response").put("seq", c.nextSeq()).put("stream", q.getLong("stream"))
            .put("ok", true).put("body", "a").put("fin", true));
        return answer;
      }).map(resp -> {
        assertEquals(true, resp.getBoolean("ok"), "the first request's own answer: " + resp.encode());
        assertEquals("a", resp.getValue("body"), resp.encode());
        return null;
      });
    })).onComplete(ctx.succeedingThenComplete());
  }

  // ---------------------------------------------------------------------------------------------------------
  // fatal errors

  /** Verifies that a request as the first frame gets a fatal handshake_required and close 1008. */
  @Test
  void frameBeforeHelloIsFatalHandshakeRequired(Vertx vertx, VertxTestContext ctx) {
    withBystander(vertx, "bad-nohello", b -> WireClient.connect(vertx, node.port()).compose(c -> {
      c.send(request(1, 1, "demo.echo", new JsonObject()));
      return fatal(c, "handshake_required", 1008);
    })).onComplete(ctx.succeedingThenComplete());
  }

  /** Verifies that a malformed first frame gets a fatal bad_frame and close 1008. */
  @Test
  void malformedFirstFrameIsFatalBadFrame(Vertx vertx, VertxTestContext ctx) {
    withBystander(vertx, "bad-first", b -> WireClient.connect(vertx, node.port()).compose(c -> {
      c.sendText("{\"type\":\"hello\",\"clientId\":");
      return fatal(c, "bad_frame", 1008);
    })).onComplete(ctx.succeedingThenComplete());
  }

  /** Verifies that a frame over the 64 KiB limit gets a fatal too_large and close 1009. */
  @Test
  void oversizedFrameIsFatalTooLarge(Vertx vertx, VertxTestContext ctx) {
    assertEquals(64 * 1024, node.options().getMaxFrameBytes());
    withBystander(vertx, "bad-large", b -> session(vertx, "bad-large").compose(c -> {
      JsonObject big = new JsonObject().put("pad", "x".repeat(100_000));
      c.send(request(c.nextSeq(), 1, "demo.echo", big));
      return fatal(c, "too_large", 1009);
    })).onComplete(ctx.succeedingThenComplete());
  }

  /** Verifies that a seq gap gets a fatal bad_frame, close 1008, and the session can then be resumed. */
  @Test
  void seqGapIsFatalBadFrameAndSessionStaysResumable(Vertx vertx, VertxTestContext ctx) {
    withBystander(vertx, "bad-gap", b -> session(vertx, "bad-gap").compose(c -> echo(c)
        .compose(v -> {
          // seq 1 was the echo; 3 skips 2. Not allocated, so the resumed client continues with 2.
          c.send(request(c.lastAllocatedSeq() + 2, 3, "demo.echo", new JsonObject()));
          return fatal(c, "bad_frame", 1008);
        })
        .compose(v -> WireClient.connect(vertx, node.port()))
        .compose(resumer -> resumer.resume(c).map(resumed -> {
          assertEquals("resumed", resumed.getString("type"), "resume after a seq gap: " + resumed.encode());
          assertEquals(1L, resumed.getLong("lastSeq"), "the server stored the client's frames up to 1");
          return resumer;
        }))
        .compose(resumer -> echo(resumer)))
    ).onComplete(ctx.succeedingThenComplete());
  }

  /** Verifies that a socket that sends nothing is closed with 1008 after handshake_required, on time. */
  @Test
  void silentSocketIsClosedAfterHandshakeTimeout(Vertx vertx, VertxTestContext ctx) {
    long timeoutMs = 300;
    GatewayNode[] strict = new GatewayNode[1];
    TestNodes.start(o -> o.setHandshakeTimeoutMs(timeoutMs))
        .compose(n -> {
          strict[0] = n;
          return withBystander(vertx, n, "bad-silent", b -> {
            // Taken before connecting: the server's handshake clock cannot start earlier.
            long connectingAt = System.nanoTime();
            return WireClient.connect(vertx, n.port()).compose(c -> c.next("error").map(e -> {
              long elapsed = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - connectingAt);
              assertError(e, "handshake_required", true);
              assertTrue(elapsed >= timeoutMs && elapsed <= timeoutMs * 10,
                  "handshake timeout after " + elapsed + " ms, expected about " + timeoutMs + " ms");
              return e;
            }).compose(e -> c.closed()).map(status -> {
              assertEquals(Short.valueOf((short) 1008), status, "close code");
              return null;
            }));
          });
        })
        .eventually(() -> strict[0] == null ? Future.succeededFuture() : strict[0].stop())
        .onComplete(ctx.succeedingThenComplete());
  }


  /** Verifies that errors never close or disturb a second session on the same node, even after several fatal ones. */
  @Test
  void manyBadSocketsDoNotDisturbAnotherSession(Vertx vertx, VertxTestContext ctx) {
    withBystander(vertx, "bad-many", b -> {
      Future<Void> chain = Future.succeededFuture();
      for (String text : new String[] {"", "null", "42", "\"s\"", "{}", "{\"type\":7}", "{\"type\":\"hello\"}",
          "{\"type\":\"hello\",\"clientId\":\"has space\"}", "{\"type\":\"resume\",\"sessionId\":\"x\"}"}) {
        chain = chain.compose(v -> WireClient.connect(vertx, node.port()).compose(c -> {
          c.sendText(text);
          return c.next("error").map(e -> {
            assertTrue((Boolean) e.getValue("fatal"), "before the handshake, '" + text + "' is fatal: " + e.encode());
            assertNotNull(e.getString("code"));
            assertNotEquals("resume_failed", e.getString("code"), text);
            return e;
          }).compose(e -> c.closed()).map(status -> {
            assertEquals(Short.valueOf((short) 1008), status, "close code after '" + text + "'");
            return null;
          });
        }));
      }
      return chain.compose(v -> echo(b));
    }).onComplete(ctx.succeedingThenComplete());
  }
}
