package io.tether.client.internal;

import io.tether.client.Notification;
import io.tether.client.TetherException;
import io.tether.protocol.Frame;
import io.vertx.core.Promise;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/**
 * The topics the client follows (docs/PROTOCOL.md §6, docs/CLIENT.md "Topics"): subscriptions with the last version
 * received, the latest value of each topic, and the subscribes/unsubscribes waiting for the server.
 *
 * <p>Accepted or refused: the server refuses a subscribe with a non-fatal error naming the subscribe's seq
 * ({@code refSeq}) and topic, and sends it before its ack that covers that seq. So a subscribe is refused by an error
 * whose refSeq is its seq (and whose topic, when given, is its topic), and accepted when an ack covers its seq first.
 * The error's message is never looked at.
 */
public final class TopicFollower {

  /** A subscribe or unsubscribe the server has not acked yet. */
  private record Waiter(String topic, boolean subscribe, Promise<Void> promise) {
    // promise is null for a subscribe nobody waits for (one renewed on a new session)
  }

  private final ReliableChannel channel;
  private final Consumer<Frame.Notify> deliver;
  private final Runnable valuesChanged;
  private final Consumer<Throwable> report;
  /** Topic → last version received (or the known version given to subscribe). Read from any thread. */
  private final Map<String, Long> subscriptions = Collections.synchronizedMap(new LinkedHashMap<>());
  /** The latest notification of each topic (followed now, or restored from the store). Read from any thread. */
  private final Map<String, Notification> values = Collections.synchronizedMap(new LinkedHashMap<>());
  /** Own subscribe/unsubscribe frames not acked yet, by seq, in seq order. */
  private final LinkedHashMap<Long, Waiter> waiting = new LinkedHashMap<>();

  /**
   * @param deliver       a notification of a followed topic, for the application
   * @param valuesChanged a topic value changed (the store saves them)
   * @param report        a refusal of a subscription nobody waits for
   */
  public TopicFollower(ReliableChannel channel, Consumer<Frame.Notify> deliver, Runnable valuesChanged,
      Consumer<Throwable> report) {
    this.channel = channel;
    this.deliver = deliver;
    this.valuesChanged = valuesChanged;
    this.report = report;
  }

  /** Sends {@code subscribe}; {@code promise} completes when the server acks it, or fails with its refusal. */
  public void subscribe(String topic, long knownVersion, Promise<Void> promise) {
    try {
      ReliableChannel.OutFrame f = channel.send(seq -> new Frame.Subscribe(seq, topic, knownVersion), false);
      waiting.put(f.seq(), new Waiter(topic, true, promise));
      subscriptions.put(topic, knownVersion);
    } catch (TetherException e) {
      promise.fail(e);
    }
  }

  /** Sends {@code unsubscribe} and forgets the topic's value; {@code promise} completes when the server acks it. */
  public void unsubscribe(String topic, Promise<Void> promise) {
    try {
      ReliableChannel.OutFrame f = channel.send(seq -> new Frame.Unsubscribe(seq, topic), false);
      waiting.put(f.seq(), new Waiter(topic, false, promise));
      subscriptions.remove(topic);
      if (values.remove(topic) != null) {
        valuesChanged.run();
      }
    } catch (TetherException e) {
      promise.fail(e);
    }
  }

  /**
   * A session restored from the store: the topics it follows (the server keeps them across the resume), and its
   * subscribes/unsubscribes not acked yet, which nobody waits for (a refusal is reported).
   */
  public void restoreSession(Map<String, Long> followed, List<ReliableChannel.OutFrame> frames) {
    subscriptions.putAll(followed);
    for (ReliableChannel.OutFrame f : frames) {
      if (f.frame() instanceof Frame.Subscribe s) {
        waiting.put(s.seq(), new Waiter(s.topic(), true, null));
      } else if (f.frame() instanceof Frame.Unsubscribe u) {
        waiting.put(u.seq(), new Waiter(u.topic(), false, null));
      }
    }
  }

  /** The server acked own frames up to {@code ack}: the subscribes among them were accepted. */
  public void acked(long ack) {
    for (Iterator<Map.Entry<Long, Waiter>> it = waiting.entrySet().iterator(); it.hasNext(); ) {
      Map.Entry<Long, Waiter> e = it.next();
      if (e.getKey() > ack) {
        return;
      }
      it.remove();
      if (e.getValue().promise() != null) {
        e.getValue().promise().tryComplete();
      }
    }
  }

  /**
   * A non-fatal error from the server: if it refuses one of the subscribes waiting for their ack (by {@code refSeq},
   * and {@code topic} when given), that subscription is dropped and its call fails with the error; returns whether
   * it did. Any other error is the caller's to report.
   */
  public boolean refused(Frame.Error e) {
    if (e.refSeq() <= 0) {
      return false;
    }
    Waiter w = waiting.get(e.refSeq());
    if (w == null || !w.subscribe() || e.topic() != null && !e.topic().equals(w.topic())) {
      return false; // not a subscribe of ours waiting for its ack, or not that topic
    }
    waiting.remove(e.refSeq());
    subscriptions.remove(w.topic());
    TetherException error = new TetherException(e.code(), e.message(), e.reason(), true, null);
    if (w.promise() != null) {
      w.promise().tryFail(error);
    } else {
      report.accept(error); // renewed on a new session: no call waits for it
    }
    return true;
  }

  /** A notification: remembered (version, value) and delivered, unless the topic was unsubscribed meanwhile. */
  public void onNotify(Frame.Notify n) {
    synchronized (subscriptions) {
      Long known = subscriptions.get(n.topic());
      if (known == null) {
        return;
      }
      subscriptions.put(n.topic(), Math.max(known, n.version()));
    }
    synchronized (values) {
      Notification cached = values.get(n.topic());
      if (cached == null || cached.version() <= n.version()) {
        values.put(n.topic(), new Notification(n.seq(), n.topic(), n.version(), Support.decode(n.body())));
      }
    }
    valuesChanged.run();
    deliver.accept(n);
  }

  /**
   * A new session replaced a lost one (the channel's numbering restarted): every followed topic is subscribed again
   * with its last version, after the frames renumbered already. Calls waiting for a subscribe of the lost session
   * wait for the renewed one; unsubscribes, and subscribes of topics no longer followed, are complete (the new
   * session does not follow them).
   */
  public void renew() {
    Map<String, List<Promise<Void>>> byTopic = new HashMap<>();
    for (Waiter w : waiting.values()) {
      if (w.promise() == null) {
        continue;
      }
      if (w.subscribe()) {
        byTopic.computeIfAbsent(w.topic(), k -> new ArrayList<>()).add(w.promise());
      } else {
        w.promise().tryComplete();
      }
    }
    waiting.clear();
    List<Map.Entry<String, Long>> topics;
    synchronized (subscriptions) {
      topics = new ArrayList<>(subscriptions.entrySet());
    }
    for (Map.Entry<String, Long> t : topics) {
      ReliableChannel.OutFrame f = channel.renumber(new Frame.Subscribe(0, t.getKey(), t.getValue()));
      List<Promise<Void>> waiters = byTopic.remove(t.getKey());
      Promise<Void> promise = null;
      if (waiters != null) {
        Promise<Void> all = Promise.promise();
        waiters.forEach(p -> all.future().onComplete(p));
        promise = all;
      }
      waiting.put(f.seq(), new Waiter(t.getKey(), true, promise));
    }
    byTopic.values().forEach(ps -> ps.forEach(Promise::tryComplete));
  }

  /**
   * Fails every call waiting for the server (the client closed, or a first connect failed). With
   * {@code forgetSubscribed}, topics whose subscribe was never acked are not followed.
   */
  public void failWaiting(TetherException error, boolean forgetSubscribed) {
    for (Waiter w : waiting.values()) {
      if (w.promise() != null) {
        w.promise().tryFail(error);
      }
      if (w.subscribe() && forgetSubscribed) {
        subscriptions.remove(w.topic());
      }
    }
    waiting.clear();
  }

  // -- values and observation ---------------------------------------------------------------------------------

  /** A value restored from the store. */
  public void restore(Notification value) {
    values.put(value.topic(), value);
  }

  public void forgetValues() {
    values.clear();
  }

  /** Every topic value, for the store. */
  public List<Notification> values() {
    synchronized (values) {
      return new ArrayList<>(values.values());
    }
  }

  /** Any thread. */
  public Notification cachedTopic(String topic) {
    return values.get(topic);
  }

  /** A copy; any thread. */
  public Map<String, Long> subscriptions() {
    synchronized (subscriptions) {
      return new LinkedHashMap<>(subscriptions);
    }
  }
}
