package io.tether.gateway.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import org.junit.jupiter.api.Test;

/**
 * {@link PresenceOp}: one live session per client, and a replaced session never overwrites its successor's presence
 * (docs/PROTOCOL.md §2 "One live session per clientId", §4 presence).
 */
class PresenceOpTest {

  private static final String CLIENT = "client-1";

  private static FakeEntry<String, PresenceRecord> claimedBy(String sessionId) {
    FakeEntry<String, PresenceRecord> e = FakeEntry.absent(CLIENT);
    PresenceOp.claim(sessionId, "node-a", "{\"app\":\"1\"}", 100).process(e);
    return e.resetWrites();
  }

  /**
   * Found by DoubleCrashFaultTest: the oldest member detaches the dead node's sessions in one sweep and only then
   * updates their presence; a client that resumed on a survivor meanwhile was left DETACHED in presence for good.
   */
  @Test
  void anOrphaningDoesNotUndoTheOnlineOfAResumeOnAnotherNode() {
    FakeEntry<String, PresenceRecord> e = claimedBy("s-1"); // on node-a, which dies
    PresenceOp.resumed("s-1", "node-b", 200).process(e);

    assertNull(PresenceOp.orphaned("s-1", "node-a", 150).process(e), "the late orphaning does not apply");
    assertEquals("ONLINE", e.getValue().state());
    assertEquals("node-b", e.getValue().node());
  }

  @Test
  void anOrphaningDetachesWhilePresenceStillNamesTheDeadNode() {
    FakeEntry<String, PresenceRecord> e = claimedBy("s-1");

    PresenceOp.orphaned("s-1", "node-a", 150).process(e);

    assertEquals("DETACHED", e.getValue().state());
  }

  /**
   * Found by DoubleCrashFaultTest: with backup-count 1 and two members dead, a presence record can be lost while
   * its session survives (another partition); the resumed session had no presence, and backends addressing the
   * client got no_session. A resume restores the record.
   */
  @Test
  void aResumeRestoresALostRecord() {
    FakeEntry<String, PresenceRecord> e = FakeEntry.absent(CLIENT);

    PresenceRecord r = PresenceOp.resumed("s-1", "node-b", 300).process(e);

    assertEquals("s-1", r.sessionId());
    assertEquals("ONLINE", e.getValue().state());
    assertEquals("node-b", e.getValue().node());
  }

  @Test
  void aRestoreIfMissingCreatesOnlyAMissingRecord() {
    FakeEntry<String, PresenceRecord> missing = FakeEntry.absent(CLIENT);
    PresenceOp.ifMissing("s-1", "SUSPECT", "node-b", 300).process(missing);
    assertEquals("SUSPECT", missing.getValue().state());

    FakeEntry<String, PresenceRecord> present = claimedBy("s-2");
    assertNull(PresenceOp.ifMissing("s-1", "ONLINE", "node-b", 300).process(present));
    assertEquals("s-2", present.getValue().sessionId(), "an existing record is left alone");
    assertEquals("node-a", present.getValue().node());
  }

  @Test
  void aPlainUpdateDoesNotCreateAMissingRecord() {
    FakeEntry<String, PresenceRecord> e = FakeEntry.absent(CLIENT);

    assertNull(PresenceOp.update("s-1", "ONLINE", "node-b", null, 300).process(e));
    assertNull(e.getValue());
  }

  @Test
  void aFirstClaimCreatesAnOnlineRecordAndReplacesNothing() {
    FakeEntry<String, PresenceRecord> e = FakeEntry.absent(CLIENT);

    assertNull(PresenceOp.claim("s-1", "node-a", "{}", 100).process(e));

    PresenceRecord r = e.getValue();
    assertEquals(CLIENT, r.clientId());
    assertEquals("s-1", r.sessionId());
    assertEquals("ONLINE", r.state());
    assertEquals("node-a", r.node());
    assertEquals(100, r.lastSeen());
    assertEquals(FakeEntry.Write.NO_TTL, e.write());
  }

  @Test
  void aNewClaimReturnsTheRecordItReplaced() {
    FakeEntry<String, PresenceRecord> e = claimedBy("s-1");

    PresenceRecord previous = PresenceOp.claim("s-2", "node-b", "{}", 200).process(e);

    assertEquals("s-1", previous.sessionId());
    assertEquals("node-a", previous.node());
    assertEquals("s-2", e.getValue().sessionId());
  }

  @Test
  void aNewClaimLiftsAClosedRecordsTtl() {
    FakeEntry<String, PresenceRecord> e = claimedBy("s-1");
    PresenceOp.update("s-1", "CLOSED", null, null, 150).process(e);

    PresenceOp.claim("s-2", "node-b", "{}", 200).process(e);

    assertEquals(FakeEntry.Write.NO_TTL, e.write());
  }

  @Test
  void anUpdateByTheCurrentSessionChangesTheRecordAndReturnsACopy() {
    FakeEntry<String, PresenceRecord> e = claimedBy("s-1");

    PresenceRecord updated = PresenceOp.update("s-1", "DETACHED", "node-b", "{\"app\":\"2\"}", 300).process(e);

    assertEquals("DETACHED", updated.state());
    assertEquals("node-b", updated.node());
    assertEquals("{\"app\":\"2\"}", updated.attrs());
    assertEquals(300, updated.lastSeen());
    assertEquals("DETACHED", e.getValue().state());
    assertEquals(FakeEntry.Write.NO_TTL, e.write());
  }

  @Test
  void anUpdateLeavesFieldsGivenAsNullUnchanged() {
    FakeEntry<String, PresenceRecord> e = claimedBy("s-1");

    PresenceOp.update("s-1", null, null, null, 300).process(e);

    PresenceRecord r = e.getValue();
    assertEquals("ONLINE", r.state());
    assertEquals("node-a", r.node());
    assertEquals("{\"app\":\"1\"}", r.attrs());
    assertEquals(300, r.lastSeen(), "last seen always moves");
  }

  @Test
  void anUpdateByAReplacedSessionIsIgnored() {
    FakeEntry<String, PresenceRecord> e = claimedBy("s-2");

    assertNull(PresenceOp.update("s-1", "CLOSED", null, null, 300).process(e));
    assertEquals("ONLINE", e.getValue().state());
    assertEquals(FakeEntry.Write.NONE, e.write());
  }

  @Test
  void anUpdateWithoutARecordIsIgnored() {
    FakeEntry<String, PresenceRecord> e = FakeEntry.absent(CLIENT);

    assertNull(PresenceOp.update("s-1", "DETACHED", null, null, 300).process(e));
    assertNull(e.getValue());
  }

  @Test
  void aClosedPresenceStaysQueryableForTenMinutes() {
    FakeEntry<String, PresenceRecord> e = claimedBy("s-1");

    PresenceOp.update("s-1", "CLOSED", null, null, 300).process(e);

    assertEquals(FakeEntry.Write.TTL, e.write());
    assertEquals(10 * 60_000, e.ttlMs());
  }

  @Test
  void theReturnedRecordIsNotTheStoredOne() {
    FakeEntry<String, PresenceRecord> e = claimedBy("s-1");

    PresenceRecord copy = PresenceOp.update("s-1", "SUSPECT", null, null, 300).process(e);
    PresenceOp.update("s-1", "ONLINE", null, null, 400).process(e);

    assertEquals("SUSPECT", copy.state());
  }
}
