package io.tether.client.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tether.client.ConnectionState;
import io.tether.client.TetherClientOptions;
import io.tether.client.TetherException;
import io.tether.protocol.Frame;
import io.tether.protocol.FrameCodec;
import io.tether.protocol.RawJson;
import io.tether.protocol.channel.InboundSequence.Verdict;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.Timeout;
import io.vertx.junit5.VertxExtension;
import io.vertx.junit5.VertxTestContext;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The client's end of the reliable channel on its own, with recording links for sockets: what is written again
 * after a resume, renumbering for a new session, the resume consistency check, the outbound bounds, and acks of the
 * server's frames. Each test runs on a Vert.x context, as the channel does in the client.
 */
@ExtendWith(VertxExtension.class)
@Timeout(value = 10, timeUnit = TimeUnit.SECONDS)
class ReliableChannelTest {

  private final AtomicReference<ConnectionState> state = new AtomicReference<>(ConnectionState.ONLINE);
  private final List<Long> acked = new CopyOnWriteArrayList<>();
  private final List<Throwable> problems = new CopyOnWriteArrayList<>();

  private ReliableChannel channel(Vertx vertx, UnaryOperator<TetherClientOptions> customize) {
    TetherClientOptions options = customize.apply(new TetherClientOptions().setClientId("c").setMaxFrameBytes(4096));
    return new ReliableChannel(vertx, options, new FrameCodec(8192), state::get, new ReliableChannel.Listener() {
      @Override
      public void acked(long ack) {
        acked.add(ack);
      }

      @Override
      public void problem(Throwable t) {
        problems.add(t);
      }
    });
  }

  /** Runs {@code body} on a context of {@code vertx}, failing the test with what it throws. */
  private static void onContext(Vertx vertx, VertxTestContext ctx, Runnable body) {
    vertx.getOrCreateContext().runOnContext(v -> ctx.verify(body::run));
  }

  private static Frame.Request request(long seq, long stream) {
    return new Frame.Request(seq, stream, "app.write", RawJson.of("{\"n\":" + stream + "}"));
  }

  /**
   * Verifies that after a break the next link gets exactly the frames the server's resumed.lastSeq does not cover,
   * in order, byte for byte as first written, and that frames it covers are released.
   */
  @Test
  void resumeWritesAgainExactlyTheFramesTheServerDidNotStore(Vertx vertx, VertxTestContext ctx) {
    onContext(vertx, ctx, () -> {
      ReliableChannel ch = channel(vertx, o -> o);
      RecordingLink first = new RecordingLink(1);
      ch.attach(first);
      for (long stream = 1; stream <= 5; stream += 2) {
        long s = stream;
        ch.send(seq -> request(seq, s), false);
      }
      assertEquals(3, first.texts.size(), "written at once while attached");
      ch.detach();
      state.set(ConnectionState.RECONNECTING);
      assertTrue(ch.canResumeFrom(1));
      ch.resumed(1);
      assertEquals(List.of(1L), acked);
      assertEquals(2, ch.unacked());
      RecordingLink second = new RecordingLink(2);
      ch.attach(second);
      assertEquals(first.texts.subList(1, 3), second.texts, "seqs 2 and 3 again, byte for byte");
      ch.onAck(3);
      assertEquals(0, ch.unacked());
      ctx.completeNow();
    });
  }

  /** Verifies that frames sent with no link attached are kept and written in seq order by the next attach. */
  @Test
  void framesSentBetweenConnectionsGoOutInOrderOnAttach(Vertx vertx, VertxTestContext ctx) {
    onContext(vertx, ctx, () -> {
      state.set(ConnectionState.CONNECTING);
      ReliableChannel ch = channel(vertx, o -> o);
      ch.send(seq -> request(seq, 1), false);
      ch.send(seq -> new Frame.Subscribe(seq, "t", 0), false);
      assertFalse(ch.isOpen());
      RecordingLink link = new RecordingLink(1);
      ch.attach(link);
      ch.send(seq -> request(seq, 3), false);
      assertEquals(List.of(1L, 2L, 3L), link.frames().stream().map(f -> f.getLong("seq")).toList());
      assertEquals(List.of("request", "subscribe", "request"), link.frames().stream()
          .map(f -> f.getString("type")).toList());
      ctx.completeNow();
    });
  }

  /**
   * Verifies that a new session after a failed resume starts both directions at seq 1 and hands back the frames the
   * lost session never acked, with whether they had been written, and that a renumbered frame keeps its content.
   */
  @Test
  void newSessionRestartsAtOneAndHandsBackTheUnackedFrames(Vertx vertx, VertxTestContext ctx) {
    onContext(vertx, ctx, () -> {
      ReliableChannel ch = channel(vertx, o -> o);
      RecordingLink link = new RecordingLink(1);
      ch.attach(link);
      ch.send(seq -> request(seq, 1), false);
      ch.send(seq -> request(seq, 3), false);
      ch.onAck(1);
      assertEquals(Verdict.ACCEPT, ch.receive(1));
      assertEquals(Verdict.ACCEPT, ch.receive(2));
      ch.detach();
      state.set(ConnectionState.CONNECTING);
      ch.send(seq -> request(seq, 5), false); // while reconnecting: never written
      List<ReliableChannel.OutFrame> old = ch.newSession();
      assertEquals(List.of(2L, 3L), old.stream().map(ReliableChannel.OutFrame::seq).toList());
      assertEquals(List.of(true, false), old.stream().map(ReliableChannel.OutFrame::written).toList());
      assertEquals(0, ch.received(), "the server's seqs restart too");
      assertEquals(0, ch.lastSent());
      ReliableChannel.OutFrame again = ch.renumber(old.get(1).frame());
      assertEquals(1, again.seq());
      RecordingLink next = new RecordingLink(2);
      ch.attach(next);
      assertEquals(List.of(new JsonObject().put("type", "request").put("seq", 1).put("stream", 5)
          .put("address", "app.write").put("body", new JsonObject().put("n", 5))), next.frames());
      assertEquals(Verdict.ACCEPT, ch.receive(1), "seq 1 of the new session is new");
      ctx.completeNow();
    });
  }

  /** Verifies that resumed.lastSeq below the server's last ack or above the last seq sent is not resumable. */
  @Test
  void resumedLastSeqOutsideWhatWasSentAndAckedIsInconsistent(Vertx vertx, VertxTestContext ctx) {
    onContext(vertx, ctx, () -> {
      ReliableChannel ch = channel(vertx, o -> o);
      ch.attach(new RecordingLink(1));
      ch.send(seq -> request(seq, 1), false);
      ch.send(seq -> request(seq, 3), false);
      ch.send(seq -> request(seq, 5), false);
      ch.onAck(2);
      assertFalse(ch.canResumeFrom(1), "the server acked 2 already");
      assertTrue(ch.canResumeFrom(2));
      assertTrue(ch.canResumeFrom(3));
      assertFalse(ch.canResumeFrom(4), "never sent");
      ch.onAck(4);
      assertEquals(1, problems.size(), "an ack beyond the last seq is reported");
      assertEquals(1, ch.unacked(), "and changes nothing");
      ctx.completeNow();
    });
  }

  /**
   * Verifies the outbound bounds: a frame beyond maxOutboundFrames fails with overflow (an answer to a server request
   * may exceed it), a frame above maxFrameBytes with too_large, and acks make room again; OFFLINE and CLOSED refuse.
   */
  @Test
  void boundsRefuseNewFramesUntilAcksMakeRoom(Vertx vertx, VertxTestContext ctx) {
    onContext(vertx, ctx, () -> {
      ReliableChannel ch = channel(vertx, o -> o.setMaxOutboundFrames(2));
      ch.attach(new RecordingLink(1));
      ch.send(seq -> request(seq, 1), false);
      ch.send(seq -> request(seq, 3), false);
      assertFalse(ch.hasRoom(10));
      assertEquals(TetherException.BUFFER_FULL, assertThrows(TetherException.class,
          () -> ch.send(seq -> request(seq, 5), false)).code());
      ch.send(seq -> new Frame.Response(seq, 2, true, RawJson.of("1"), null, true), true);
      assertEquals(3, ch.unacked());
      String big = "\"" + "x".repeat(5000) + "\"";
      assertEquals(TetherException.TOO_LARGE, assertThrows(TetherException.class,
          () -> ch.send(seq -> new Frame.Request(seq, 7, "a", RawJson.of(big)), true)).code());
      ch.onAck(2);
      assertTrue(ch.hasRoom(10));
      assertEquals(List.of(2L), acked);
      state.set(ConnectionState.OFFLINE);
      assertEquals(TetherException.NOT_CONNECTED, assertThrows(TetherException.class,
          () -> ch.send(seq -> request(seq, 9), false)).code());
      state.set(ConnectionState.CLOSED);
      assertEquals(TetherException.CLOSED, assertThrows(TetherException.class,
          () -> ch.send(seq -> request(seq, 9), false)).code());
      ctx.completeNow();
    });
  }

  /**
   * Verifies the server's frames: in order they are accepted and acked cumulatively, a replay is a duplicate and is
   * acked again although the position did not move, a skip ahead is a gap; a ping's ack counts as sent.
   */
  @Test
  void replaysAreDuplicatesAckedAgainAndSkipsAreGaps(Vertx vertx, VertxTestContext ctx) {
    RecordingLink link = new RecordingLink(1);
    List<Long> acks = new CopyOnWriteArrayList<>();
    link.onWrite(f -> {
      if ("ack".equals(f.getString("type"))) {
        acks.add(f.getLong("ack"));
        if (acks.size() == 2) {
          ctx.verify(() -> {
            assertEquals(List.of(2L, 2L), acks, "the ack, then the same ack again after the replay");
            ctx.completeNow();
          });
        }
      }
    });
    onContext(vertx, ctx, () -> {
      ReliableChannel ch = channel(vertx, o -> o.setAckBatchFrames(2).setAckDelayMs(5));
      ch.attach(link);
      assertEquals(Verdict.ACCEPT, ch.receive(1));
      assertEquals(Verdict.ACCEPT, ch.receive(2)); // a batch of two: acked at once
      assertEquals(Verdict.DUPLICATE, ch.receive(1)); // acked again within ackDelayMs
      assertEquals(Verdict.GAP, ch.receive(4));
      assertEquals(2, ch.received());
      assertEquals(2, ch.carryAck());
    });
  }
}
