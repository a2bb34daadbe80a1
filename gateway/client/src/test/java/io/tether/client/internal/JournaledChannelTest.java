package io.tether.client.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tether.client.ConnectionState;
import io.tether.client.TetherClientOptions;
import io.tether.protocol.Frame;
import io.tether.protocol.FrameCodec;
import io.tether.protocol.RawJson;
import io.vertx.core.Vertx;
import io.vertx.junit5.Timeout;
import io.vertx.junit5.VertxExtension;
import io.vertx.junit5.VertxTestContext;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The reliable channel with an on-disk store ({@link Journal}, docs/CLIENT.md "Sessions across a restart"): own frames
 * leave only once a snapshot holding them is on disk, frames numbered meanwhile go together after the next one, only a
 * server position on disk is acknowledged, nothing leaves after {@code resumed} until the rotated token is on disk,
 * and a stored session is taken back byte for byte. The "disk" is the test: it calls {@code durable} when it likes.
 */
@ExtendWith(VertxExtension.class)
@Timeout(value = 10, timeUnit = TimeUnit.SECONDS)
class JournaledChannelTest {

  private final AtomicInteger saveRequests = new AtomicInteger();
  private final Journal journal = new Journal() {
    @Override
    public boolean active() {
      return true;
    }

    @Override
    public void changed() {
      saveRequests.incrementAndGet();
    }
  };

  private ReliableChannel channel(Vertx vertx) {
    TetherClientOptions options = new TetherClientOptions().setClientId("c").setMaxFrameBytes(4096)
        .setAckBatchFrames(1);
    ReliableChannel ch = new ReliableChannel(vertx, options, new FrameCodec(8192), () -> ConnectionState.ONLINE,
        new ReliableChannel.Listener() {
          @Override
          public void acked(long ack) {
          }

          @Override
          public void problem(Throwable t) {
          }
        });
    ch.journal(journal);
    return ch;
  }

  private static void onContext(Vertx vertx, VertxTestContext ctx, Runnable body) {
    vertx.getOrCreateContext().runOnContext(v -> ctx.verify(() -> {
      body.run();
      ctx.completeNow();
    }));
  }

  private static Frame.Request request(long seq, long stream) {
    return new Frame.Request(seq, stream, "app.write", RawJson.of("{\"n\":" + stream + "}"));
  }

  /** Verifies that frames wait for the snapshot that holds them, and that those numbered during a save wait for the next. */
  @Test
  void ownFramesLeaveOnlyOnceASnapshotHoldingThemIsOnDisk(Vertx vertx, VertxTestContext ctx) {
    onContext(vertx, ctx, () -> {
      ReliableChannel ch = channel(vertx);
      RecordingLink link = new RecordingLink(1);
      ch.attach(link);
      ch.send(seq -> request(seq, 1), false);
      ch.send(seq -> request(seq, 3), false);
      assertEquals(0, link.texts.size(), "nothing written before the save");
      assertTrue(saveRequests.get() > 0, "a save was asked for");
      Journal.Snapshot first = ch.snapshot();
      assertEquals(2, first.frames().size());
      ch.send(seq -> request(seq, 5), false); // numbered while the first save runs
      ch.durable(first);
      assertEquals(2, link.frames("request").size(), "the two on disk go out, together");
      Journal.Snapshot second = ch.snapshot();
      ch.durable(second);
      assertEquals(List.of(1L, 2L, 3L), link.frames("request").stream().map(f -> f.getLong("seq")).toList());
    });
  }

  /** Verifies that a received server frame is acked only once its position is on disk, and resume carries that one. */
  @Test
  void onlyAReceivedPositionOnDiskIsAcknowledged(Vertx vertx, VertxTestContext ctx) {
    onContext(vertx, ctx, () -> {
      ReliableChannel ch = channel(vertx);
      RecordingLink link = new RecordingLink(1);
      ch.attach(link);
      ch.receive(1);
      ch.receive(2);
      assertEquals(0, link.frames("ack").size(), "not on disk: not acked");
      assertEquals(0, ch.carryAck(), "a ping carries the position on disk");
      assertEquals(0, ch.resumeAck(), "and so does a resume");
      ch.durable(ch.snapshot());
      assertEquals(List.of(2L), link.frames("ack").stream().map(f -> f.getLong("ack")).toList());
    });
  }

  /** Verifies that after resumed nothing leaves (frames again, acks) until a snapshot taken after it is on disk. */
  @Test
  void afterResumedNothingLeavesUntilTheRotatedTokenIsOnDisk(Vertx vertx, VertxTestContext ctx) {
    onContext(vertx, ctx, () -> {
      ReliableChannel ch = channel(vertx);
      RecordingLink first = new RecordingLink(1);
      ch.attach(first);
      ch.send(seq -> request(seq, 1), false);
      Journal.Snapshot before = ch.snapshot();
      ch.durable(before);
      assertEquals(1, first.texts.size());
      ch.detach();
      ch.resumed(0);
      RecordingLink second = new RecordingLink(2);
      ch.attach(second);
      ch.durable(before); // a snapshot from before resumed does not hold the new token
      assertEquals(0, second.texts.size(), "held until the token is on disk");
      ch.durable(ch.snapshot());
      assertEquals(first.texts, second.texts, "then resent byte for byte");
    });
  }

  /** Verifies that a stored session is taken back: the frames again with their seqs, numbering and position go on. */
  @Test
  void aStoredSessionIsTakenBackAndResentByteForByte(Vertx vertx, VertxTestContext ctx) {
    onContext(vertx, ctx, () -> {
      ReliableChannel old = channel(vertx);
      old.attach(new RecordingLink(1));
      old.receive(1);
      for (long stream = 1; stream <= 5; stream += 2) {
        long s = stream;
        old.send(seq -> request(seq, s), false);
      }
      old.onAck(1);
      Journal.Snapshot stored = old.snapshot();

      ReliableChannel ch = channel(vertx);
      List<ReliableChannel.OutFrame> frames = ch.restore(stored.acked(), stored.received(), stored.frames());
      assertEquals(List.of(2L, 3L), frames.stream().map(ReliableChannel.OutFrame::seq).toList());
      assertTrue(frames.get(0).written(), "maybe written by the earlier process");
      assertEquals(1, ch.resumeAck());
      assertTrue(ch.canResumeFrom(2));
      ch.resumed(2);
      RecordingLink link = new RecordingLink(2);
      ch.attach(link);
      ch.send(seq -> request(seq, 7), false);
      ch.durable(ch.snapshot());
      assertEquals(List.of(stored.frames().get(1)), link.texts.subList(0, 1), "seq 3 again, byte for byte");
      assertEquals(4L, link.frames("request").get(1).getLong("seq"), "numbering goes on");
    });
  }
}
