package io.tether.client.internal;

import io.tether.client.Notification;
import io.tether.client.TetherException;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

/**
 * The client's on-disk store wiring (docs/CLIENT.md "On-disk store"): reads the {@link ClientStore} once at start and
 * hands back the response cache, topic values, queued writes and the session; later saves what changed. Snapshots are built on
 * the context; only their text goes to a worker thread, which replaces the files atomically. One save at a time;
 * changes made meanwhile go in the next one. Queued writes are saved at once, cache changes within
 * {@link #CACHE_SAVE_DELAY_MS}: a response is not worth a disk write each, a write the application made offline is.
 * The session (its own frames not acked, its positions) is saved at once too, and written first in a save: a queued
 * write that was numbered meanwhile is then in the session file before it leaves {@code writes.json} (if the process
 * dies between the two, the next one finds it in both and keeps the numbered one, by its stream id). As the
 * {@link Journal} of the {@link ReliableChannel}, this class lets own frames out only once they are on disk.
 *
 * <p>Without a store directory every method is a no-op and {@link #ready()} is complete from the start.
 */
public final class OfflineStore {

  /** Cache changes reach the on-disk store at most this long after they happen (queued writes go at once). */
  public static final long CACHE_SAVE_DELAY_MS = 1_000;

  /** What is saved besides the response cache, read from the parts that own it. */
  public interface Source {
    /** The queued writes, in order. */
    List<ClientStore.StoredWrite> queuedWrites();

    /** The latest value of each topic. */
    List<Notification> topicValues();

    /** The session to save now, or null to leave the session file as it is. */
    SessionSnapshot session();
  }

  /** One snapshot of the session for {@value ClientStore#SESSION_FILE}. */
  public interface SessionSnapshot {
    /** The file's text, or null: there is no session any more (the file is removed). */
    String text();

    /** The snapshot is on disk, or could not be written (that is reported): what waited for it may go on. */
    void saved();
  }

  /** Where what was read from the store goes back. */
  public interface Restorer {
    void topicValue(Notification value);

    /** A write queued by an earlier client on this store: queue it again (nobody holds its future). */
    void write(ClientStore.StoredWrite write);

    /** The session of an earlier client on this store, restored before the queued writes. */
    void session(SessionFile.Stored session);

    /** The store is another client's: forget the topic values restored from it (the cache is cleared here). */
    void forgetTopicValues();
  }

  private final Vertx vertx;
  private final Context ctx;
  private final String clientId;
  private final ResponseCache cache;
  private final ClientStore store;
  private final Consumer<Throwable> report;
  /** Completes once the store (if any) has been read; every operation of the client waits for it. */
  private final Promise<Void> ready = Promise.promise();
  private Source source;
  private boolean writesDirty;
  private boolean sessionDirty;
  private SessionSnapshot pendingSession;
  private boolean cacheDirty;
  private String pendingWritesText;
  private String pendingCacheText;
  private boolean saving;
  private boolean saveScheduled;
  private long cacheSaveTimer = -1;
  /** Set by the final save (close, session ended), or when the store is another client's: not written again. */
  private boolean closed;
  private final List<Promise<Void>> flushWaiters = new ArrayList<>();

  /** {@code storeDir} null: no store. */
  public OfflineStore(Vertx vertx, Context ctx, String clientId, String storeDir, ResponseCache cache,
      Consumer<Throwable> report) {
    this.vertx = vertx;
    this.ctx = ctx;
    this.clientId = clientId;
    this.cache = cache;
    this.store = storeDir == null ? null : new ClientStore(Path.of(storeDir));
    this.report = report;
  }

  /** The store's directory, or null without a store. */
  public Path dir() {
    return store == null ? null : store.dir();
  }

  /**
   * Reads the store (on a worker), then restores cache, topic values and queued writes through {@code restorer},
   * and completes {@link #ready()}. Later saves read {@code source}.
   */
  public void load(Source source, Restorer restorer) {
    this.source = source;
    if (store == null) {
      ready.complete();
      return;
    }
    ctx.runOnContext(v -> ctx.executeBlocking(store::read, false).onComplete(ar -> {
      try {
        if (ar.failed()) {
          report.accept(failure("cannot read the store at " + store.dir() + ": " + ar.cause().getMessage()
              + "; starting empty", ar.cause()));
          return;
        }
        restore(ar.result(), restorer);
      } finally {
        ready.complete();
      }
    }));
  }

  private void restore(ClientStore.Contents contents, Restorer restorer) {
    if (contents.session() != null) {
      try {
        restorer.session(SessionFile.decode(clientId, contents.session()));
      } catch (ClientStore.ForeignStoreException e) {
        foreignStore(e, restorer);
        return;
      } catch (RuntimeException e) {
        report.accept(failure("ignored " + store.dir().resolve(ClientStore.SESSION_FILE) + ": " + e.getMessage()
            + "; the next connect starts a new session", e));
      }
    }
    if (contents.cache() != null) {
      try {
        ClientStore.StoredCache stored = ClientStore.decodeCache(clientId, contents.cache());
        for (ClientStore.StoredEntry e : stored.entries()) {
          cache.put(e.address(), e.canonicalBody(), e.value(), e.resources(), e.receivedAt());
        }
        stored.topics().forEach(restorer::topicValue);
      } catch (ClientStore.ForeignStoreException e) {
        foreignStore(e, restorer);
        return;
      } catch (RuntimeException e) {
        report.accept(failure("ignored " + store.dir().resolve(ClientStore.CACHE_FILE) + ": " + e.getMessage(), e));
      }
    }
    if (contents.writes() != null) {
      List<ClientStore.StoredWrite> writes;
      try {
        writes = ClientStore.decodeWrites(clientId, contents.writes());
      } catch (ClientStore.ForeignStoreException e) {
        foreignStore(e, restorer);
        return;
      } catch (RuntimeException e) {
        report.accept(failure("ignored " + store.dir().resolve(ClientStore.WRITES_FILE) + ": " + e.getMessage(), e));
        writes = List.of();
      }
      writes.forEach(restorer::write);
      writesDirty = false; // what is queued now is what the file says
    }
  }

  /** The directory holds another client's store: this client neither uses nor overwrites it. */
  private void foreignStore(ClientStore.ForeignStoreException e, Restorer restorer) {
    cache.clear();
    restorer.forgetTopicValues();
    closed = true;
    report.accept(failure("not using the store at " + store.dir() + ": " + e.getMessage()
        + "; this client keeps nothing on disk", e));
  }

  private static TetherException failure(String message, Throwable cause) {
    return new TetherException(TetherException.STORE_FAILED, message, null, false, cause);
  }

  public Future<Void> ready() {
    return ready.future();
  }

  /** Runs {@code action} on the context once the store has been read (at once without a store). */
  public void whenReady(Runnable action) {
    if (ready.future().isComplete()) {
      Support.onContext(ctx, action);
    } else {
      ready.future().onComplete(ar -> Support.onContext(ctx, action));
    }
  }

  /** The queued writes changed: saved as soon as possible. */
  public void writesChanged() {
    if (store == null || closed) {
      return;
    }
    writesDirty = true;
    saveSoon();
  }

  private void saveSoon() {
    if (!saving && !saveScheduled) {
      saveScheduled = true;
      ctx.runOnContext(v -> { // one save for everything changed in this turn of the event loop
        saveScheduled = false;
        startSave();
      });
    }
  }

  /** The session changed (own frames numbered or acked, a token, an ack that waits): saved as soon as possible. */
  public void sessionChanged() {
    if (store == null || closed) {
      return;
    }
    sessionDirty = true;
    saveSoon();
  }

  /** The store as the reliable channel's journal: active while this client writes its store. */
  public Journal journal() {
    return new Journal() {
      @Override
      public boolean active() {
        return store != null && !closed;
      }

      @Override
      public void changed() {
        sessionChanged();
      }
    };
  }

  /** The cache or a topic value changed: saved within {@link #CACHE_SAVE_DELAY_MS}. */
  public void cacheChanged() {
    if (store == null || closed) {
      return;
    }
    cacheDirty = true;
    scheduleCacheSave();
  }

  /** Completes once everything changed so far is on disk. */
  public Future<Void> flush() {
    if (store == null || closed && !saving && pendingWritesText == null && pendingCacheText == null
        && pendingSession == null) {
      return Future.succeededFuture();
    }
    Promise<Void> promise = Promise.promise();
    flushWaiters.add(promise);
    startSave();
    return promise.future();
  }

  /**
   * The last save of this client (it is closing): a snapshot of everything now, taken before queued requests are
   * failed; the store is not written after it.
   */
  public Future<Void> finalSave() {
    if (store == null || closed) {
      return Future.succeededFuture();
    }
    writesDirty = true;
    cacheDirty = true;
    sessionDirty = true;
    takeSnapshot();
    closed = true;
    Support.cancelTimer(vertx, cacheSaveTimer);
    cacheSaveTimer = -1;
    Promise<Void> done = Promise.promise();
    flushWaiters.add(done);
    startSave();
    return done.future();
  }

  private void scheduleCacheSave() {
    if (cacheSaveTimer < 0 && !saving) {
      cacheSaveTimer = vertx.setTimer(CACHE_SAVE_DELAY_MS, id -> {
        cacheSaveTimer = -1;
        startSave();
      });
    }
  }

  private void takeSnapshot() {
    if (sessionDirty) {
      SessionSnapshot next = source.session();
      if (next != null) {
        pendingSession = next; // an older one not written yet is covered by this one
      }
      sessionDirty = false;
    }
    if (writesDirty) {
      pendingWritesText = ClientStore.encodeWrites(clientId, source.queuedWrites());
      writesDirty = false;
    }
    if (cacheDirty) {
      pendingCacheText = ClientStore.encodeCache(clientId, cache.snapshot(), source.topicValues());
      cacheDirty = false;
    }
  }

  private void startSave() {
    if (store == null || saving) {
      return;
    }
    if (!closed) {
      takeSnapshot();
    }
    List<Promise<Void>> waiters = new ArrayList<>(flushWaiters);
    flushWaiters.clear();
    String writes = pendingWritesText;
    String cached = pendingCacheText;
    SessionSnapshot session = pendingSession;
    pendingWritesText = null;
    pendingCacheText = null;
    pendingSession = null;
    if (writes == null && cached == null && session == null) {
      waiters.forEach(Promise::tryComplete);
      return;
    }
    if (cached != null) {
      Support.cancelTimer(vertx, cacheSaveTimer);
      cacheSaveTimer = -1;
    }
    saving = true;
    String sessionText = session == null ? null : session.text();
    ctx.executeBlocking(() -> {
      if (session != null) { // first: see the class comment
        if (sessionText == null) {
          store.delete(ClientStore.SESSION_FILE);
        } else {
          store.replace(ClientStore.SESSION_FILE, sessionText);
        }
      }
      if (writes != null) {
        store.replace(ClientStore.WRITES_FILE, writes);
      }
      if (cached != null) {
        store.replace(ClientStore.CACHE_FILE, cached);
      }
      return null;
    }, false).onComplete(ar -> {
      saving = false;
      if (ar.failed()) {
        report.accept(failure("cannot write the store at " + store.dir() + ": " + ar.cause().getMessage()
            + (session == null ? "" : "; frames go out without being on disk"), ar.cause()));
      }
      if (session != null) {
        session.saved(); // own frames go out now, before the flush waiters hear that the save is done
      }
      if (ar.failed()) {
        waiters.forEach(w -> w.tryFail(ar.cause()));
      } else {
        waiters.forEach(Promise::tryComplete);
      }
      if (writesDirty || sessionDirty || pendingSession != null || pendingWritesText != null || pendingCacheText != null || !flushWaiters.isEmpty()) {
        startSave();
      } else if (cacheDirty) {
        scheduleCacheSave();
      }
    });
  }
}
