package io.tether.gateway.store;

import com.hazelcast.nio.serialization.DataSerializableFactory;
import com.hazelcast.nio.serialization.IdentifiedDataSerializable;

/** Hazelcast factory for every record and entry processor of the session store (registered in the member config). */
public final class StoreSerialization implements DataSerializableFactory {

  public static final int FACTORY_ID = 7407;

  static final int SESSION_RECORD = 1;
  static final int FLUSH_OP = 2;
  static final int RESUME_OP = 3;
  static final int RESUME_OUTCOME = 4;
  static final int APPEND_OP = 5;
  static final int APPEND_OUTCOME = 6;
  static final int END_OP = 7;
  static final int PRESENCE_RECORD = 8;
  static final int PRESENCE_OP = 9;
  static final int TOPIC_RECORD = 10;
  static final int PUBLISH_OP = 11;
  static final int OWNER_OP = 12;
  static final int ORPHAN_OP = 13;
  static final int PENDING_OP = 14;
  static final int PRESENCE_FILTER = 15;
  static final int PRESENCE_ORDER = 16;
  static final int PRESENCE_COUNTS = 17;
  static final int FLUSH_BATCH_OP = 18;

  @Override
  public IdentifiedDataSerializable create(int classId) {
    switch (classId) {
      case SESSION_RECORD: return new SessionRecord();
      case FLUSH_OP: return new FlushOp();
      case RESUME_OP: return new ResumeOp();
      case RESUME_OUTCOME: return new ResumeOutcome();
      case APPEND_OP: return new AppendOp();
      case APPEND_OUTCOME: return new AppendOutcome();
      case END_OP: return new EndOp();
      case PRESENCE_RECORD: return new PresenceRecord();
      case PRESENCE_OP: return new PresenceOp();
      case TOPIC_RECORD: return new TopicRecord();
      case PUBLISH_OP: return new PublishOp();
      case OWNER_OP: return new OwnerOp();
      case ORPHAN_OP: return new OrphanOp();
      case PENDING_OP: return new PendingOp();
      case PRESENCE_FILTER: return new PresenceFilter();
      case PRESENCE_ORDER: return new PresenceOrder();
      case PRESENCE_COUNTS: return new PresenceCounts();
      case FLUSH_BATCH_OP: return new FlushBatchOp();
      default: return null;
    }
  }
}
