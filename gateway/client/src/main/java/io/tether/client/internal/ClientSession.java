package io.tether.client.internal;

import io.tether.client.ConnectionState;
import io.tether.client.Notification;
import io.tether.client.SessionEvent;
import io.tether.client.TetherClientOptions;
import io.tether.client.TetherException;
import io.tether.protocol.ErrorCode;
import io.tether.protocol.Frame;
import io.tether.protocol.FrameCodec;
import io.tether.protocol.NamePatterns;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import java.util.List;
import java.util.Set;
import java.util.logging.Logger;

/**
 * One client's parts, assembled, and what happens between them when the session starts, continues, is replaced or
 * ends. The parts: {@link Connector} (sockets, handshake, heartbeats), {@link ReliableChannel} (seqs, acks, resend),
 * {@link RequestTable} (own requests, the offline queue), {@link TopicFollower} (subscriptions, topic values),
 * {@link ServerRequests} (answers to the server's requests) and {@link OfflineStore} (the cache and the on-disk store).
 * What concerns the application goes to {@link ClientEvents}. Everything runs on the client's context.
 */
public final class ClientSession {

  private static final Logger LOG = Logger.getLogger(ClientSession.class.getName());

  private final ClientEvents events;
  private final NamePatterns cacheable;
  private final ResponseCache cache;
  private final OfflineStore store;
  private final ReliableChannel channel;
  private final Connector connector;
  private final RequestTable requests;
  private final TopicFollower topics;
  private final ServerRequests serverRequests;
  private final ByteStreams streams;
  private final Prefetcher prefetcher;
  /** Set once the client closes (or the server ended the session): completes when everything is released. */
  private Future<Void> closing;
  /**
   * From {@code resumed} to the server's next ack: subscribes covered by {@code resumed.lastSeq} are not taken as
   * accepted yet, because the server repeats its latest refusals first (docs/PROTOCOL.md §7); and a repeated refusal
   * of a frame settled long ago is not reported. Confined to the client's context.
   */
  private boolean resuming;
  /** The client is closing or the session ended: the stored session is removed by the final save. */
  private boolean ending;
  /** Streams of the requests restored with a stored session: a queued write stored with one of them is that one. */
  private Set<Long> restoredStreams = Set.of();

  public ClientSession(Vertx vertx, Context ctx, TetherClientOptions options, ClientEvents events) {
    this.events = events;
    FrameCodec codec = new FrameCodec(Math.max(options.getMaxFrameBytes() * 2, 4096));
    this.cacheable = new NamePatterns(options.getCacheableAddresses());
    this.cache = new ResponseCache(options.getCacheMaxEntries(), options.getCacheMaxBytes());
    this.store = new OfflineStore(vertx, ctx, options.getClientId(), options.getStoreDir(), cache, events::problem);
    this.channel = new ReliableChannel(vertx, options, codec, this::state, new ReliableChannel.Listener() {
      @Override
      public void acked(long ack) {
        onAcked(ack);
      }

      @Override
      public void problem(Throwable t) {
        events.problem(t);
      }
    });
    channel.journal(store.journal());
    this.connector = new Connector(vertx, options, codec, channel::resumeAck, channel::carryAck, events,
        new Lifecycle());
    this.requests = new RequestTable(vertx, options, channel, cache, codec, this::state, new RequestTable.Listener() {
      @Override
      public void writesChanged() {
        store.writesChanged();
      }

      @Override
      public void cacheChanged() {
        store.cacheChanged();
      }

      @Override
      public void problem(Throwable t) {
        events.problem(t);
      }
    });
    this.topics = new TopicFollower(channel, events::notification, store::cacheChanged, events::problem);
    this.serverRequests = new ServerRequests(ctx, channel, events::requestHandler, this::state, events::problem);
    this.streams = new ByteStreams(vertx, ctx, channel, options.getMaxFrameBytes(), requests::takeStreamId,
        events::problem);
    this.prefetcher = new Prefetcher(vertx, options.getPrefetch(), options.getRequestTimeoutMs(), this::isCacheable,
        cache, this::state, requests::submit, System::currentTimeMillis);
    store.load(new OfflineStore.Source() {
      @Override
      public List<ClientStore.StoredWrite> queuedWrites() {
        return requests.queuedWrites();
      }

      @Override
      public List<Notification> topicValues() {
        return topics.values();
      }

      @Override
      public OfflineStore.SessionSnapshot session() {
        return sessionSnapshot(options.getClientId());
      }
    }, new OfflineStore.Restorer() {
      @Override
      public void topicValue(Notification value) {
        topics.restore(value);
      }

      @Override
      public void write(ClientStore.StoredWrite write) {
        if (write.stream() <= 0 || !restoredStreams.contains(write.stream())) {
          requests.restore(write); // else it was numbered already: restored with the session
        }
      }

      @Override
      public void session(SessionFile.Stored stored) {
        restoreSession(stored);
      }

      @Override
      public void forgetTopicValues() {
        topics.forgetValues();
      }
    });
    List<io.tether.client.PrefetchOptions.Entry> declared = options.getPrefetch().getEntries();
    store.whenReady(() -> prefetcher.start(declared)); // after the cache is restored: restored answers count
  }

  public Connector connector() {
    return connector;
  }

  public ReliableChannel channel() {
    return channel;
  }

  public RequestTable requests() {
    return requests;
  }

  public TopicFollower topics() {
    return topics;
  }

  public ByteStreams streams() {
    return streams;
  }

  /** The application's requests go through it (idleness, hit rate); prefetch declarations too. */
  public Prefetcher prefetcher() {
    return prefetcher;
  }

  public OfflineStore store() {
    return store;
  }

  public ResponseCache cache() {
    return cache;
  }

  /**
   * What the store keeps of the session now: the ticket, the channel's frames and positions, the next stream; none
   * once the client closes or the session ended (the file is removed); null while a lost session is being replaced
   * (the file stays until the new session's first save).
   */
  private OfflineStore.SessionSnapshot sessionSnapshot(String clientId) {
    SessionFile.Stored ticket = ending ? null : connector.storedTicket();
    if (ticket == null && !ending && connector.replacingSession()) {
      return null;
    }
    Journal.Snapshot cs = channel.snapshot();
    String text = ticket == null ? null : SessionFile.encode(clientId, new SessionFile.Stored(ticket.sessionId(),
        ticket.resumeToken(), ticket.node(), ticket.heartbeatMs(), cs.received(), cs.acked(), requests.nextStream(),
        topics.subscriptions(), cs.frames()));
    return new OfflineStore.SessionSnapshot() {
      @Override
      public String text() {
        return text;
      }

      @Override
      public void saved() {
        channel.durable(cs);
      }
    };
  }

  /** A session stored by an earlier process: the next connect() resumes it and resends its frames. */
  private void restoreSession(SessionFile.Stored stored) {
    List<ReliableChannel.OutFrame> frames;
    try {
      frames = channel.restore(stored.acked(), stored.received(), stored.frames());
    } catch (IllegalArgumentException e) {
      channel.newSession();
      events.problem(new TetherException(TetherException.STORE_FAILED, "ignored the stored session ("
          + e.getMessage() + "); the next connect starts a new session", null, false, e));
      return;
    }
    connector.restore(stored);
    restoredStreams = requests.restoreSent(frames, stored.nextStream());
    topics.restoreSession(stored.topics(), frames);
    LOG.fine(() -> "restored " + stored);
  }

  /** A read: responses to requests to this address are cached (cacheableAddresses). */
  public boolean isCacheable(String address) {
    return cacheable.matches(address);
  }

  private ConnectionState state() {
    return connector.state();
  }

  /**
   * Closes the client (see {@code TetherClient.close()}): bye if ONLINE, everything waiting fails with
   * {@code client_closed}, queued writes stay in the store. The same future for every call.
   */
  public Future<Void> close() {
    if (closing != null) {
      return closing;
    }
    Promise<Void> done = Promise.promise();
    closing = done.future();
    boolean writesStay = store.dir() != null && requests.hasQueuedWrites();
    ending = true; // bye ends the session: the stored one goes
    Future<Void> saved = store.finalSave(); // a snapshot of the queued writes before they are failed here
    String ended = connector.sessionId();
    Future<Void> socketDone = connector.close();
    failEverything(new TetherException(TetherException.CLOSED, "the client was closed" + (writesStay
        ? "; queued writes stay in the store at " + store.dir() + ", the next client on it sends them" : "")));
    socketDone.onComplete(ar -> {
      events.session(new SessionEvent(SessionEvent.Kind.ENDED, null, ended, null, "closed", 0));
      release(saved).onComplete(done);
    });
    return closing;
  }

  private Future<Void> release(Future<Void> saved) {
    return Future.join(saved, connector.shutdown()).transform(ar -> Future.succeededFuture());
  }

  /** Fails everything that waits (requests queued or sent, subscriptions, connect) and empties both buffers. */
  private void failEverything(TetherException error) {
    streams.lost("closed");
    prefetcher.close(error);
    failSent(error);
    requests.failQueued(error);
    connector.failConnect(error);
  }

  /** Fails what was numbered (sent requests, subscriptions) and empties the outbound buffer; the queue stays. */
  private void failSent(TetherException error) {
    requests.failSent(error);
    topics.failWaiting(error, state() != ConnectionState.CLOSED);
    channel.dropAll(connector.hasSession());
  }

  /** The server acked own frames up to {@code ack}. */
  private void onAcked(long ack) {
    connector.progress();
    if (!resuming) {
      topics.acked(ack); // a refusal would have come before this ack
    }
    requests.drain(); // room was made
    streams.drain();
  }

  private void onReliable(Link link, Frame.Reliable f) {
    switch (channel.receive(f.seq())) {
      case DUPLICATE:
        return; // a replay of something already delivered: dropped (and acked again)
      case GAP:
        events.problem(new TetherException(ErrorCode.BAD_FRAME.wire(), "seq gap from the server: expected "
            + (channel.received() + 1) + ", got " + f.seq() + "; reconnecting to resume from " + channel.received()));
        connector.broken(link);
        return;
      default:
        break;
    }
    connector.progress();
    if (f instanceof Frame.Push p) {
      deliverPush(p);
    } else if (f instanceof Frame.Response r) {
      requests.onResponse(r);
    } else if (f instanceof Frame.Request r) {
      serverRequests.onRequest(r);
    } else if (f instanceof Frame.Notify n) {
      topics.onNotify(n);
    } else if (f instanceof Frame.Data d) {
      streams.onData(d);
    } else {
      events.problem(new TetherException(ErrorCode.NOT_ALLOWED.wire(), "the server sent a '" + f.type()
          + "' frame; ignored"));
    }
  }

  private void deliverPush(Frame.Push p) {
    requests.related(p);
    events.push(p);
  }

  /** What the connector reports about the session. */
  private final class Lifecycle implements ConnectorListener {

    @Override
    public int welcomed(Link link, boolean resync) {
      resuming = false;
      int lost = 0;
      serverRequests.newSession();
      store.sessionChanged(); // the new ticket
      if (resync) {
        streams.lost("session_lost"); // their upstream connections belonged to the lost session
        // Seqs restart at 1: sent requests fail or are renumbered, then every followed topic is subscribed again.
        List<ReliableChannel.OutFrame> old = channel.newSession();
        lost = requests.sessionLost(old);
        topics.renew();
      }
      channel.attach(link);
      requests.drain();
      prefetcher.online();
      return lost;
    }

    @Override
    public boolean resumable(long serverLastSeq) {
      if (channel.canResumeFrom(serverLastSeq)) {
        return true;
      }
      events.problem(new TetherException(ErrorCode.BAD_FRAME.wire(), "resumed.lastSeq " + serverLastSeq
          + " is outside [" + channel.acked() + ", " + channel.lastSent() + "]: starting a new session"));
      return false;
    }

    @Override
    public void resumed(Link link, long serverLastSeq) {
      resuming = true; // until the ack that follows the repeated refusals
      channel.resumed(serverLastSeq);
      channel.attach(link); // every own frame the server has not stored, in order, with its original seq
      streams.resumed();
      requests.drain(); // then what waited in the queue, with the next seqs
      prefetcher.online();
      requests.startSentTimers(); // requests restored from the store wait from now
    }

    @Override
    public void frame(Link link, Frame frame) {
      if (frame instanceof Frame.Push p && p.isVolatile()) {
        deliverPush(p);
      } else if (frame instanceof Frame.Reliable r) {
        onReliable(link, r);
      } else if (frame instanceof Frame.Ack a) {
        boolean settle = resuming;
        resuming = false;
        channel.onAck(a.ack());
        if (settle) {
          topics.acked(a.ack()); // the refusals repeated after resumed came before this ack
        }
      } else if (frame instanceof Frame.Credit c) {
        streams.onCredit(c);
      } else if (frame instanceof Frame.Error e) {
        if (!topics.refused(e) && !requests.refused(e) && !(resuming && e.refSeq() > 0)) {
          events.problem(new TetherException(e.code(), e.message(), e.reason(), true, null));
        }
      } else {
        LOG.fine(() -> "ignored unexpected '" + frame.type() + "' frame");
      }
    }

    @Override
    public void detached() {
      channel.detach();
    }

    @Override
    public void firstConnectFailed(TetherException error) {
      failSent(error);
    }

    @Override
    public void ended(String sessionId, String reason) {
      ending = true;
      Future<Void> saved = store.finalSave();
      connector.close();
      failEverything(new TetherException(TetherException.SESSION_ENDED, "the server ended the session: " + reason,
          reason, true, null));
      events.session(new SessionEvent(SessionEvent.Kind.ENDED, null, sessionId, null, reason, 0));
      closing = release(saved);
    }
  }
}
