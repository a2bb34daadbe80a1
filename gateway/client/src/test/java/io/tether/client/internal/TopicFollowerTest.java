package io.tether.client.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tether.client.ConnectionState;
import io.tether.client.TetherClientOptions;
import io.tether.client.TetherException;
import io.tether.protocol.Frame;
import io.tether.protocol.FrameCodec;
import io.tether.protocol.RawJson;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.Timeout;
import io.vertx.junit5.VertxExtension;
import io.vertx.junit5.VertxTestContext;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The topic follower on a real {@link ReliableChannel} with a recording link: a subscribe is accepted by the ack of
 * its seq and refused by an error naming its seq (refSeq) and topic, never by the error's message; topics are
 * subscribed again with their last versions on a new session. Each test runs on a Vert.x context.
 */
@ExtendWith(VertxExtension.class)
@Timeout(value = 10, timeUnit = TimeUnit.SECONDS)
class TopicFollowerTest {

  private final List<Frame.Notify> delivered = new CopyOnWriteArrayList<>();
  private final List<Throwable> reported = new CopyOnWriteArrayList<>();
  private ReliableChannel channel;
  private RecordingLink link;

  private TopicFollower follower(Vertx vertx) {
    TopicFollower[] self = new TopicFollower[1];
    channel = new ReliableChannel(vertx, new TetherClientOptions().setClientId("c"), new FrameCodec(8192),
        () -> ConnectionState.ONLINE, new ReliableChannel.Listener() {
          @Override
          public void acked(long ack) {
            self[0].acked(ack); // as the client wires it
          }

          @Override
          public void problem(Throwable t) {
            reported.add(t);
          }
        });
    link = new RecordingLink(1);
    channel.attach(link);
    self[0] = new TopicFollower(channel, delivered::add, () -> { }, reported::add);
    return self[0];
  }

  private static void onContext(Vertx vertx, VertxTestContext ctx, Runnable body) {
    vertx.getOrCreateContext().runOnContext(v -> ctx.verify(body::run));
  }

  private static Frame.Error refusal(long refSeq, String topic, String message) {
    return new Frame.Error("not_allowed", message, null, false, refSeq, topic);
  }

  private static Future<Void> subscribe(TopicFollower f, String topic) {
    Promise<Void> p = Promise.promise();
    f.subscribe(topic, 0, p);
    return p.future();
  }

  /**
   * Verifies that of three subscribes waiting for their acks only the one whose seq the refusal names fails (its
   * message names another topic on purpose), and that the ack covering all three completes the other two.
   */
  @Test
  void aRefusalFailsTheSubscribeItsRefSeqNames(Vertx vertx, VertxTestContext ctx) {
    onContext(vertx, ctx, () -> {
      TopicFollower f = follower(vertx);
      Future<Void> a = subscribe(f, "t/a");
      Future<Void> b = subscribe(f, "t/b");
      Future<Void> c = subscribe(f, "t/c");
      assertEquals(List.of(1L, 2L, 3L), link.frames("subscribe").stream().map(x -> x.getLong("seq")).toList());
      assertTrue(f.refused(refusal(2, "t/b", "topic 't/a' is not allowed")));
      TetherException e = assertInstanceOf(TetherException.class, b.cause());
      assertEquals("not_allowed", e.code());
      assertTrue(e.isRemote());
      assertFalse(a.isComplete() || c.isComplete(), "the others wait for their ack");
      channel.onAck(3);
      assertTrue(a.succeeded() && c.succeeded());
      assertEquals(List.of("t/a", "t/c"), List.copyOf(f.subscriptions().keySet()));
      assertEquals(List.of(), reported);
      ctx.completeNow();
    });
  }

  /**
   * Verifies that an error is not linked to a subscribe when it has no refSeq, when its topic is another one, when
   * its refSeq is an unsubscribe's, or when that subscribe was acked already: the subscribes stay as they are.
   */
  @Test
  void errorsThatDoNotNameAWaitingSubscribeAreNotLinked(Vertx vertx, VertxTestContext ctx) {
    onContext(vertx, ctx, () -> {
      TopicFollower f = follower(vertx);
      Future<Void> a = subscribe(f, "t/a");
      Promise<Void> off = Promise.promise();
      f.unsubscribe("t/z", off);
      assertFalse(f.refused(new Frame.Error("not_allowed", "topic 't/a' is not allowed", null, false)));
      assertFalse(f.refused(refusal(1, "t/other", "no")));
      assertFalse(f.refused(refusal(2, "t/z", "no")));
      assertFalse(a.isComplete());
      channel.onAck(2);
      assertTrue(a.succeeded());
      assertTrue(off.future().succeeded());
      assertFalse(f.refused(refusal(1, "t/a", "too late")), "acked: the refusal would have come first");
      assertTrue(f.subscriptions().containsKey("t/a"));
      ctx.completeNow();
    });
  }

  /**
   * Verifies a new session: every followed topic is subscribed again with the last version received, after the
   * frames renumbered before it; a call waiting for a subscribe of the lost session completes with the renewed one's
   * ack; a renewed subscribe the server refuses is dropped and reported (no call waits for it).
   */
  @Test
  void aNewSessionRenewsEveryTopicWithItsLastVersion(Vertx vertx, VertxTestContext ctx) {
    onContext(vertx, ctx, () -> {
      TopicFollower f = follower(vertx);
      Future<Void> a = subscribe(f, "t/a");
      channel.onAck(1);
      assertTrue(a.succeeded());
      channel.receive(1);
      f.onNotify(new Frame.Notify(1, "t/a", 5, RawJson.of("{\"v\":5}")));
      assertEquals(5L, f.subscriptions().get("t/a"));
      assertEquals(new JsonObject().put("v", 5), f.cachedTopic("t/a").body());
      assertEquals(1, delivered.size());
      Future<Void> b = subscribe(f, "t/b"); // seq 2, never acked by the lost session
      channel.detach();
      channel.newSession();
      f.renew();
      RecordingLink next = new RecordingLink(2);
      channel.attach(next);
      assertEquals(List.of(new JsonObject().put("type", "subscribe").put("seq", 1).put("topic", "t/a")
          .put("version", 5), new JsonObject().put("type", "subscribe").put("seq", 2).put("topic", "t/b")
          .put("version", 0)),
          next.frames());
      assertFalse(b.isComplete());
      assertTrue(f.refused(refusal(1, "t/a", "no longer allowed")));
      assertEquals(1, reported.size(), "nobody waits for a renewed subscribe: reported");
      assertNull(f.subscriptions().get("t/a"));
      channel.onAck(2);
      assertTrue(b.succeeded(), "the call waiting since the lost session completes with the renewed subscribe");
      ctx.completeNow();
    });
  }

  /** Verifies that a notification of a topic unsubscribed meanwhile is neither kept nor delivered. */
  @Test
  void aNotificationAfterUnsubscribeIsDropped(Vertx vertx, VertxTestContext ctx) {
    onContext(vertx, ctx, () -> {
      TopicFollower f = follower(vertx);
      subscribe(f, "t/a");
      f.unsubscribe("t/a", Promise.promise());
      f.onNotify(new Frame.Notify(1, "t/a", 3, RawJson.of("1")));
      assertEquals(List.of(), delivered);
      assertNull(f.cachedTopic("t/a"));
      ctx.completeNow();
    });
  }
}
