package io.tether.gateway.store;

import static io.tether.gateway.store.Sessions.CLIENT;
import static io.tether.gateway.store.Sessions.MAX_BYTES;
import static io.tether.gateway.store.Sessions.MAX_FRAMES;
import static io.tether.gateway.store.Sessions.NODE_A;
import static io.tether.gateway.store.Sessions.NODE_B;
import static io.tether.gateway.store.Sessions.T0;
import static io.tether.gateway.store.Sessions.TOKEN;
import static io.tether.gateway.store.Sessions.WINDOW_MS;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;

import com.hazelcast.internal.serialization.InternalSerializationService;
import com.hazelcast.internal.serialization.impl.DefaultSerializationServiceBuilder;
import com.hazelcast.internal.serialization.Data;
import com.hazelcast.map.EntryProcessor;
import com.hazelcast.internal.nio.BufferObjectDataOutput;
import com.hazelcast.nio.serialization.IdentifiedDataSerializable;
import io.tether.gateway.store.Sessions.Flush;
import io.tether.protocol.ResumeFailReason;
import java.io.IOException;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Supplier;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The store's records and entry processors through Hazelcast's own serialization with the {@link StoreSerialization}
 * factory, as the member config registers it. Records cross the wire to backups and migrating partitions, and every
 * op is re-run on the backup from its deserialized fields (docs/ARCHITECTURE.md "Session store"), so a deserialized
 * op must do exactly what the original does.
 */
class StoreSerializationTest {

  private static final InternalSerializationService SS = new DefaultSerializationServiceBuilder()
      .addDataSerializableFactory(StoreSerialization.FACTORY_ID, new StoreSerialization())
      .build();

  @AfterAll
  static void dispose() {
    SS.dispose();
  }

  private static byte[] bytes(Object o) {
    Data d = SS.toData(o);
    return d == null ? null : d.toByteArray();
  }

  @SuppressWarnings("unchecked")
  private static <T> T roundTrip(T o) {
    return (T) SS.toObject(SS.toData(o));
  }

  private static final String REFUSAL =
      "{\"type\":\"error\",\"code\":\"not_allowed\",\"fatal\":false,\"refSeq\":4,\"topic\":\"x\"}";

  /** A record with every part filled: frames, subscriptions, a pending request, send ids, attrs, a refusal; detached. */
  private static SessionRecord fullRecord() {
    FakeEntry<String, SessionRecord> e = Sessions.attachedTo(NODE_A);
    Flush.epoch(1).frames(1, 3).ack(1).inSeq(4).subscribe(Map.of("prices", 9L))
        .pending(new PendingRequest(4, 2, "demo.echo", "{\"x\":1}", NODE_A)).attrs("{\"app\":\"2\"}")
        .sendIds(Map.of("send-1", 3L)).detach(T0).op().withRefusals(List.of(REFUSAL)).process(e);
    return e.getValue();
  }

  // -- SessionRecord ------------------------------------------------------------------------------------------

  /** The wire layout of a SessionRecord, field by field: nodes of different versions must read each other. */
  @Test
  void aSessionRecordIsWrittenInItsFixedFieldOrder() throws IOException {
    BufferObjectDataOutput expected = SS.createObjectDataOutput();
    expected.writeString(CLIENT);
    expected.writeString(TOKEN);
    expected.writeLong(1);                       // epoch
    expected.writeString(null);                  // owner (detached)
    expected.writeByte(1);                       // status DETACHED
    expected.writeString(null);                  // end reason
    expected.writeLong(3);                       // outSeq
    expected.writeLong(4);                       // inSeq
    expected.writeLong(1);                       // acked
    expected.writeInt(2);                        // frames
    expected.writeLong(2);
    expected.writeString(Sessions.text(2));
    expected.writeLong(3);
    expected.writeString(Sessions.text(3));
    expected.writeLong(T0);                      // detachedAt
    expected.writeLong(WINDOW_MS);
    expected.writeInt(MAX_FRAMES);
    expected.writeLong(MAX_BYTES);
    expected.writeInt(1);                        // subscriptions
    expected.writeString("prices");
    expected.writeLong(9);
    expected.writeInt(1);                        // pending requests
    expected.writeLong(4);
    expected.writeLong(2);
    expected.writeString("demo.echo");
    expected.writeString("{\"x\":1}");
    expected.writeString(NODE_A);
    expected.writeString("{\"app\":\"2\"}");     // attrs
    expected.writeInt(1);                        // send ids
    expected.writeString("send-1");
    expected.writeLong(3);
    expected.writeString(null);                  // grant (auth none)
    expected.writeLong(0);                       // credentialExpiresAt
    expected.writeInt(1);                        // refusals to repeat after a resume
    expected.writeString(REFUSAL);
    expected.writeString(null);                  // unconfirmed previous token (none; last: added later)

    BufferObjectDataOutput actual = SS.createObjectDataOutput();
    fullRecord().writeData(actual);

    assertArrayEquals(expected.toByteArray(), actual.toByteArray());
  }

  @Test
  void statusOrdinalsAreTheWireValues() {
    assertEquals(List.of("ATTACHED", "DETACHED", "EXPIRED", "CLOSED"),
        Stream.of(SessionRecord.Status.values()).map(Enum::name).toList());
  }

  @Test
  void aSessionRecordSurvivesARoundTrip() {
    SessionRecord original = fullRecord();

    SessionRecord copy = roundTrip(original);

    assertEquals(CLIENT, copy.clientId());
    assertEquals(SessionRecord.Status.DETACHED, copy.status());
    assertNull(copy.owner());
    assertEquals(1, copy.epoch());
    assertEquals(3, copy.outSeq());
    assertEquals(4, copy.inSeq());
    assertEquals(List.of(2L, 3L), Sessions.storedSeqs(copy));
    assertEquals(original.bytes, copy.bytes, "the byte count is rebuilt from the frames");
    assertEquals(Map.of("prices", 9L), copy.subscriptions());
    assertEquals(List.copyOf(original.pendingRequests()), List.copyOf(copy.pendingRequests()));
    assertEquals(Map.of("send-1", 3L), copy.sendIds());
    assertArrayEquals(bytes(original), bytes(copy));
  }

  @Test
  void aCopyKeepsTheDetachTimeAndTheWindow() {
    FakeEntry<String, SessionRecord> within = FakeEntry.of(Sessions.SESSION, roundTrip(fullRecord()));
    FakeEntry<String, SessionRecord> past = FakeEntry.of(Sessions.SESSION, roundTrip(fullRecord()));

    assertNull(Sessions.resume(NODE_B, "t2", 3, T0 + WINDOW_MS, NODE_B).process(within).failure());
    assertEquals(ResumeFailReason.EXPIRED,
        Sessions.resume(NODE_B, "t2", 3, T0 + WINDOW_MS + 1, NODE_B).process(past).failure());
  }

  @Test
  void aNewRecordSurvivesARoundTrip() {
    SessionRecord original = Sessions.attachedTo(NODE_A).getValue();

    SessionRecord copy = roundTrip(original);

    assertEquals(NODE_A, copy.owner());
    assertEquals(SessionRecord.Status.ATTACHED, copy.status());
    assertEquals(Map.of(), copy.subscriptions());
    assertArrayEquals(bytes(original), bytes(copy));
  }

  @Test
  void anEndedRecordSurvivesARoundTrip() {
    SessionRecord copy = roundTrip(Sessions.overflowed().getValue());

    assertEquals(SessionRecord.Status.EXPIRED, copy.status());
    assertEquals(ResumeFailReason.OVERFLOW, Sessions.resume(NODE_B, "t2", 0, T0, NODE_B)
        .process(FakeEntry.of(Sessions.SESSION, copy)).failure());
  }

  // -- the ops: a deserialized op does what the original does ------------------------------------------------

  static Stream<Arguments> sessionOps() {
    PendingRequest deadOnA = new PendingRequest(1, 1, "demo.echo", "{}", NODE_A);
    Supplier<FakeEntry<String, SessionRecord>> withPending = () -> {
      FakeEntry<String, SessionRecord> e = Sessions.attachedTo(NODE_A);
      Flush.epoch(1).frames(1, 3).inSeq(1).pending(deadOnA).op().process(e);
      return e.resetWrites();
    };
    return Stream.of(
        Arguments.of("flush with everything",
            Flush.epoch(1).frames(3, 4).ack(2).inSeq(5).subscribe(Map.of("t", 1L)).unsubscribe("u")
                .pending(new PendingRequest(5, 3, "a.b", "{}", NODE_A)).answered(1L).attrs("{}")
                .sendIds(Map.of("s", 4L)).detach(T0).op(),
            withPending),
        Arguments.of("fenced flush", Flush.epoch(7).frames(4, 4).op(), withPending),
        Arguments.of("resume redispatching", new ResumeOp(TOKEN, "t2", NODE_B, 2, T0, Set.of(NODE_B)), withPending),
        Arguments.of("resume with a bad token", new ResumeOp("bad", "t2", NODE_B, 2, T0, Set.of(NODE_B)),
            withPending),
        Arguments.of("resume after the window", new ResumeOp(TOKEN, "t2", NODE_B, 0, T0 + WINDOW_MS + 1,
            Set.of(NODE_B)), (Supplier<FakeEntry<String, SessionRecord>>) () -> Sessions.detachedAt(T0, 2)),
        Arguments.of("append with id and answer",
            new AppendOp(List.of("{\"seq\":", "{\"n\":2,\"seq\":"), List.of("}", "}"), 1, "id-1"),
            (Supplier<FakeEntry<String, SessionRecord>>) () -> Sessions.detachedAt(T0, 2)),
        Arguments.of("append overflowing", new AppendOp(List.of("x".repeat(300)), List.of(""), 0, null),
            (Supplier<FakeEntry<String, SessionRecord>>) () -> Sessions.detachedAt(T0, 2)),
        Arguments.of("end", new EndOp("kicked", false, T0), withPending),
        Arguments.of("expiry sweep", new EndOp(null, true, T0 + WINDOW_MS + 1),
            (Supplier<FakeEntry<String, SessionRecord>>) () -> Sessions.detachedAt(T0, 2)),
        Arguments.of("orphan", new OrphanOp(NODE_A, T0), withPending),
        Arguments.of("owner", new OwnerOp(), withPending),
        Arguments.of("batch of flushes", new FlushBatchOp(Map.of(Sessions.SESSION, Flush.epoch(1).frames(3, 4).ack(1).op(),
            "s-2", Flush.epoch(1).frames(1, 1).op(), "s-3", Flush.epoch(5).op())), withPending),
        Arguments.of("batch with a fenced flush", new FlushBatchOp(Map.of(Sessions.SESSION, Flush.epoch(7).frames(4, 4).op())),
            withPending));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("sessionOps")
  void aDeserializedSessionOpHasTheSameEffect(String name, EntryProcessor<String, SessionRecord, Object> op,
      Supplier<FakeEntry<String, SessionRecord>> record) {
    EntryProcessor<String, SessionRecord, Object> copy = roundTrip(op);
    assertInstanceOf(op.getClass(), copy);
    assertArrayEquals(bytes(op), bytes(copy), "written again, the copy gives the same bytes");

    FakeEntry<String, SessionRecord> onPrimary = record.get();
    FakeEntry<String, SessionRecord> onBackup = record.get();
    Object primaryResult = op.process(onPrimary);
    Object backupResult = copy.process(onBackup);

    assertArrayEquals(bytes(primaryResult), bytes(backupResult), "same result");
    assertArrayEquals(bytes(onPrimary.getValue()), bytes(onBackup.getValue()), "same record");
    assertEquals(onPrimary.write(), onBackup.write(), "same kind of write");
    assertEquals(onPrimary.ttlMs(), onBackup.ttlMs(), "same TTL");
  }

  @Test
  void aDeserializedPresenceClaimAndUpdateHaveTheSameEffect() {
    for (PresenceOp op : List.of(PresenceOp.claim("s-2", NODE_B, "{\"a\":1}", 5),
        PresenceOp.update("s-1", "CLOSED", NODE_B, "{\"a\":2}", 6), PresenceOp.update("s-1", null, null, null, 7))) {
      PresenceOp copy = roundTrip(op);
      assertArrayEquals(bytes(op), bytes(copy));
      FakeEntry<String, PresenceRecord> primary = FakeEntry.absent(CLIENT);
      FakeEntry<String, PresenceRecord> backup = FakeEntry.absent(CLIENT);
      PresenceOp.claim("s-1", NODE_A, "{}", 1).process(primary);
      PresenceOp.claim("s-1", NODE_A, "{}", 1).process(backup);

      assertArrayEquals(bytes(op.process(primary)), bytes(copy.process(backup)));
      assertArrayEquals(bytes(primary.getValue()), bytes(backup.getValue()));
      assertEquals(primary.ttlMs(), backup.ttlMs());
    }
  }

  @Test
  void aDeserializedPublishHasTheSameEffect() {
    for (PublishOp op : List.of(new PublishOp("{\"p\":1}", true, 30_000, T0), new PublishOp("{}", false, 0, T0))) {
      PublishOp copy = roundTrip(op);
      assertArrayEquals(bytes(op), bytes(copy));
      FakeEntry<String, TopicRecord> primary = FakeEntry.absent("t");
      FakeEntry<String, TopicRecord> backup = FakeEntry.absent("t");

      assertEquals(op.process(primary), copy.process(backup));
      assertArrayEquals(bytes(primary.getValue()), bytes(backup.getValue()));
      assertEquals(primary.ttlMs(), backup.ttlMs());
    }
  }

  // -- outcomes and the other records -------------------------------------------------------------------------

  @Test
  void appendOutcomesSurviveARoundTrip() {
    AppendOutcome appended = roundTrip(AppendOutcome.appended(42));
    AppendOutcome owned = roundTrip(AppendOutcome.ownedBy(NODE_A));
    AppendOutcome failed = roundTrip(AppendOutcome.failed("overflow"));

    assertEquals(42, appended.seq());
    assertNull(appended.owner());
    assertNull(appended.failure());
    assertEquals(NODE_A, owned.owner());
    assertEquals("overflow", failed.failure());
  }

  @Test
  void aFailedResumeOutcomeSurvivesARoundTrip() {
    for (ResumeFailReason reason : ResumeFailReason.values()) {
      assertEquals(reason, roundTrip(ResumeOutcome.failed(reason)).failure());
    }
  }

  @Test
  void aResumeSnapshotSurvivesARoundTrip() {
    FakeEntry<String, SessionRecord> e = FakeEntry.of(Sessions.SESSION, fullRecord());
    ResumeOutcome original = Sessions.resume(NODE_B, "t2", 2, T0 + 1, NODE_B).process(e);

    ResumeOutcome copy = roundTrip(original);

    assertNull(copy.failure());
    assertEquals(CLIENT, copy.clientId());
    assertEquals(2, copy.epoch());
    assertEquals(3, copy.outSeq());
    assertEquals(4, copy.inSeq());
    assertEquals(List.of(new StoredFrame(3, Sessions.text(3))), copy.missed());
    assertEquals(Map.of("prices", 9L), copy.subscriptions());
    assertEquals(original.pending(), copy.pending());
    assertEquals(original.redispatch(), copy.redispatch());
    assertEquals(1, copy.redispatch().size());
    assertEquals("{\"app\":\"2\"}", copy.attrs());
    assertNull(copy.previousOwner());
    assertEquals(Map.of("send-1", 3L), copy.sendIds());
    assertArrayEquals(bytes(original), bytes(copy));
  }

  @Test
  void presenceAndTopicRecordsSurviveARoundTrip() {
    PresenceRecord p = roundTrip(new PresenceRecord(CLIENT, "s-1", "ONLINE", NODE_A, 99, "{\"a\":1}"));
    TopicRecord t = roundTrip(new TopicRecord(7, "{\"p\":1}"));

    assertEquals(List.of(CLIENT, "s-1", "ONLINE", NODE_A, "{\"a\":1}"),
        List.of(p.clientId(), p.sessionId(), p.state(), p.node(), p.attrs()));
    assertEquals(99, p.lastSeen());
    assertEquals(7, t.version());
    assertEquals("{\"p\":1}", t.body());
  }

  @Test
  void everyClassIdOfTheFactoryNamesItsOwnClass() {
    StoreSerialization factory = new StoreSerialization();
    for (int id = 1; id <= 18; id++) {
      IdentifiedDataSerializable o = factory.create(id);
      assertEquals(id, o.getClassId(), o.getClass().getSimpleName());
      assertEquals(StoreSerialization.FACTORY_ID, o.getFactoryId());
    }
    assertNull(factory.create(19));
  }
}
