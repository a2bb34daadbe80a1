package io.tether.gateway.store;

import com.hazelcast.internal.serialization.Data;
import com.hazelcast.internal.serialization.SerializationService;
import com.hazelcast.map.IMap;
import com.hazelcast.map.impl.MapEntries;
import com.hazelcast.map.impl.MapService;
import com.hazelcast.map.impl.operation.MapOperationProvider;
import com.hazelcast.map.impl.proxy.MapProxyImpl;
import com.hazelcast.spi.impl.NodeEngine;
import com.hazelcast.spi.impl.operationservice.Operation;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.internal.ContextInternal;
import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Iterator;
import java.util.Map;
import java.util.concurrent.CompletionException;

/**
 * Session store writes grouped by partition (docs/ARCHITECTURE.md "The write path"): the flushes of all sessions
 * whose keys share a Hazelcast partition go out as one operation, at most one at a time per partition; flushes that
 * arrive meanwhile ride with the next one (group commit). A publish to S subscribers of this node then costs at most
 * min(S, partitions) store operations, and fewer when writes come faster than the store answers.
 *
 * <p>Each operation is Hazelcast's own {@code MultipleEntryOperation} invoked on the partition like a single-key
 * {@code submitToKey}: it runs on the partition owner and answers only once its synchronous backup has acknowledged
 * it, so "in the store and its backup before the socket" holds as before. {@code IMap.submitToKeys} is not used: it
 * runs per-partition operations inside one operation per member and answers without waiting for their backups.
 *
 * <p>A session has at most one write in flight (session.StoreWriter), so writes of one session never overtake each
 * other here either; two session objects writing one key (an old owner and its successor on this node) never share
 * a batch. Every future completes on the context of the caller of {@link #flush}.
 */
final class PartitionFlushes {

  /** Sessions per operation. */
  static final int MAX_BATCH_WRITES = 512;
  /** Frame characters per operation (roughly bytes: frames are almost all ASCII); one bigger write goes alone. */
  static final long MAX_BATCH_CHARS = 1 << 20;
  /** Estimated size of a write besides its frames (epoch, acks, key). */
  private static final int WRITE_OVERHEAD = 64;

  private final Vertx vertx;
  private final String mapName;
  private final NodeEngine nodeEngine;
  private final SerializationService serialization;
  private final MapOperationProvider operations;
  private final OperationCounter metrics;
  private final Lane[] lanes;

  PartitionFlushes(Vertx vertx, IMap<String, SessionRecord> map, OperationCounter metrics) {
    this.vertx = vertx;
    this.mapName = map.getName();
    // The member's own map proxy: its node engine invokes operations the way IMap's methods do.
    MapProxyImpl<?, ?> proxy = (MapProxyImpl<?, ?>) map;
    this.nodeEngine = proxy.getNodeEngine();
    this.operations = proxy.getService().getMapServiceContext().getMapOperationProvider(mapName);
    this.serialization = nodeEngine.getSerializationService();
    this.metrics = metrics;
    this.lanes = new Lane[nodeEngine.getPartitionService().getPartitionCount()];
    for (int i = 0; i < lanes.length; i++) {
      lanes[i] = new Lane(i);
    }
  }

  int partitionCount() {
    return lanes.length;
  }

  Future<Integer> flush(String sessionId, FlushOp op) {
    ContextInternal ctx = (ContextInternal) vertx.getOrCreateContext();
    Promise<Integer> promise = ctx.promise();
    Data key = serialization.toData(sessionId);
    Lane lane = lanes[nodeEngine.getPartitionService().getPartitionId(key)];
    long size = WRITE_OVERHEAD + sessionId.length();
    for (StoredFrame f : op.frames()) {
      size += f.size();
    }
    boolean schedule;
    synchronized (lane) {
      lane.queue.add(new Pending(sessionId, key, op, size, promise, ctx));
      schedule = !lane.inFlight && !lane.scheduled;
      lane.scheduled |= schedule;
    }
    if (schedule) {
      // At the end of this event-loop turn, so that the writes this turn's tasks produce (a publish's notifies to
      // every local subscriber) go out together.
      ctx.runOnContext(v -> send(lane));
    }
    return promise.future();
  }

  private void send(Lane lane) {
    Map<Data, Pending> batch = new HashMap<>();
    synchronized (lane) {
      lane.scheduled = false;
      if (lane.inFlight || lane.queue.isEmpty()) {
        return;
      }
      long chars = 0;
      for (Iterator<Pending> it = lane.queue.iterator(); it.hasNext() && batch.size() < MAX_BATCH_WRITES; ) {
        Pending p = it.next();
        if (!batch.isEmpty() && chars + p.size > MAX_BATCH_CHARS) {
          break;
        }
        if (!batch.containsKey(p.key)) { // a second write of one key waits for the next batch
          batch.put(p.key, p);
          chars += p.size;
          it.remove();
        }
      }
      lane.inFlight = true;
    }
    Map<String, FlushOp> ops = new HashMap<>(batch.size() * 2);
    batch.values().forEach(p -> ops.put(p.sessionId, p.op));
    metrics.counted("flush");
    try {
      Operation op = operations.createMultipleEntryOperationFactory(mapName, new HashSet<>(batch.keySet()),
          new FlushBatchOp(ops))
          .createOperation();
      nodeEngine.getOperationService().<MapEntries>invokeOnPartition(MapService.SERVICE_NAME, op, lane.partition)
          // Right on the Hazelcast thread that completed it (see ClusterStore.bridge); promises hop to their contexts.
          .whenCompleteAsync((entries, failure) -> done(lane, batch, entries, failure), Runnable::run);
    } catch (RuntimeException e) { // the member is shutting down, for one
      done(lane, batch, null, e);
    }
  }

  private void done(Lane lane, Map<Data, Pending> batch, MapEntries entries, Throwable failure) {
    // The lane is free before any result is seen: a write its session makes in answer finds it idle.
    ContextInternal next = null;
    synchronized (lane) {
      lane.inFlight = false;
      if (!lane.queue.isEmpty() && !lane.scheduled) {
        lane.scheduled = true;
        next = lane.queue.peek().ctx;
      }
    }
    if (failure != null) {
      Throwable cause = failure instanceof CompletionException && failure.getCause() != null ? failure.getCause()
          : failure;
      batch.values().forEach(p -> p.promise.fail(cause));
    } else {
      for (int i = 0; i < entries.size(); i++) {
        Pending p = batch.remove(entries.getKey(i));
        if (p != null) {
          Integer result = serialization.toObject(entries.getValue(i));
          if (result == null || result == FlushBatchOp.FAILED) {
            p.promise.fail(new IllegalStateException("the store write of session " + p.sessionId + " failed"));
          } else {
            p.promise.complete(result);
          }
        }
      }
      batch.values().forEach(p -> p.promise.fail(new IllegalStateException("no store result for " + p.sessionId)));
    }
    if (next != null) {
      // Not from the Hazelcast thread: the next operation is invoked from a Vert.x context, like the first.
      next.runOnContext(v -> send(lane));
    }
  }

  /** One session's write waiting for its partition's next operation. */
  private record Pending(String sessionId, Data key, FlushOp op, long size, Promise<Integer> promise,
      ContextInternal ctx) {
  }

  /** The writes of one partition: waiting, and whether an operation is in flight or about to be sent. */
  private static final class Lane {
    final int partition;
    final ArrayDeque<Pending> queue = new ArrayDeque<>();
    boolean inFlight;
    boolean scheduled;

    Lane(int partition) {
      this.partition = partition;
    }
  }

}
