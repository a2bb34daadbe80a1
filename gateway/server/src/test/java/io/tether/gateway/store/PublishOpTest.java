package io.tether.gateway.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** {@link PublishOp}: topic versions strictly increase whoever publishes (docs/PROTOCOL.md §6). */
class PublishOpTest {

  private static final long NOW = 1_700_000_000_000L;

  @Test
  void aNewTopicStartsAtVersionOne() {
    FakeEntry<String, TopicRecord> e = FakeEntry.absent("prices");

    assertEquals(1L, new PublishOp("{\"p\":1}", true, 0, NOW).process(e));
    assertEquals(1, e.getValue().version());
    assertEquals("{\"p\":1}", e.getValue().body());
    assertEquals(FakeEntry.Write.NO_TTL, e.write());
  }

  @Test
  void eachPublishTakesTheNextVersionAndReplacesTheBody() {
    FakeEntry<String, TopicRecord> e = FakeEntry.absent("prices");
    new PublishOp("{\"p\":1}", true, 0, NOW).process(e);

    assertEquals(2L, new PublishOp("{\"p\":2}", true, 0, NOW).process(e));
    assertEquals("{\"p\":2}", e.getValue().body());
  }

  @Test
  void aNewTopicIsRefusedWhenTheNodeMayNotCreateTopics() {
    FakeEntry<String, TopicRecord> e = FakeEntry.absent("prices");

    assertEquals(PublishOp.REFUSED, new PublishOp("{}", false, 0, NOW).process(e));
    assertNull(e.getValue());
    assertEquals(FakeEntry.Write.NONE, e.write());
  }

  @Test
  void anExistingTopicIsPublishedEvenWhenTheNodeMayNotCreateTopics() {
    FakeEntry<String, TopicRecord> e = FakeEntry.absent("prices");
    new PublishOp("{}", true, 0, NOW).process(e);

    assertEquals(2L, new PublishOp("{}", false, 0, NOW).process(e));
  }

  @Test
  void withATtlEachPublishRenewsTheTopicsTtl() {
    FakeEntry<String, TopicRecord> e = FakeEntry.absent("prices");

    new PublishOp("{}", true, 30_000, NOW).process(e);

    assertEquals(FakeEntry.Write.TTL, e.write());
    assertEquals(30_000, e.ttlMs());
  }

  @Test
  void withATtlANewTopicStartsFromTheClockInThousandthsOfAMillisecond() {
    assertEquals(NOW * 1000, new PublishOp("{}", true, 30_000, NOW).process(FakeEntry.absent("prices")));
  }

  @Test
  void withATtlATopicPublishedAgainAfterItExpiredStartsAboveItsEarlierVersions() {
    FakeEntry<String, TopicRecord> before = FakeEntry.absent("prices");
    long last = 0;
    for (int i = 0; i < 10; i++) {
      last = new PublishOp("{}", true, 30_000, NOW).process(before);
    }

    long again = new PublishOp("{}", true, 30_000, NOW + 1).process(FakeEntry.absent("prices"));

    assertTrue(again > last, again + " > " + last);
  }
}
