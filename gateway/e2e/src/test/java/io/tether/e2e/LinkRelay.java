package io.tether.e2e;

import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.net.NetClient;
import io.vertx.core.net.NetClientOptions;
import io.vertx.core.net.NetServer;
import io.vertx.core.net.NetServerOptions;
import io.vertx.core.net.NetSocket;
import java.util.ArrayDeque;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A userspace "bad network" for client links (this kernel has no netem, STACK.md trap 22): a TCP relay in front of
 * HAProxy or a node that, per relayed connection and from a seeded random source, injects
 * <ul>
 *   <li><b>stalls</b>: nothing is forwarded, either way, for 0.5–5 s (bytes are held, in order, not lost: a TCP path
 *       that stops delivering for a while);</li>
 *   <li><b>resets</b>: both sides closed abruptly with an RST (SO_LINGER 0), whatever is still held is dropped;</li>
 *   <li><b>delay</b>: every chunk forwarded {@code delayMs} late, on a share of the links;</li>
 *   <li><b>a bandwidth limit</b>: bytes per second per direction, on a share of the links;</li>
 *   <li><b>half-open</b> ({@link #halfOpenAll()}): the links alive now stop forwarding in both directions for good
 *       and are never closed (no FIN, no RST), as when a peer vanishes; new connections are served normally.</li>
 * </ul>
 * Every link's faults come from a random source seeded from {@code seed + link index}: print the seed, rerun with it. Each link's
 * state lives on the context of its accepted socket (one event loop); the counters are atomic.
 */
final class LinkRelay {

  /**
   * What to inject. Rates are per link per minute (Poisson); shares are of the links, chosen when a link opens.
   */
  record Faults(double stallsPerMinute, long stallMinMs, long stallMaxMs, double resetsPerMinute, double delayedShare,
      long delayMs, double limitedShare, long bytesPerSecond) {

    static Faults none() {
      return new Faults(0, 0, 0, 0, 0, 0, 0, 0);
    }

    @Override
    public String toString() {
      return String.format("stalls %.1f/min/link (%d-%d ms), resets %.1f/min/link, %.0f%% of links delayed %d ms, "
          + "%.0f%% limited to %d B/s", stallsPerMinute, stallMinMs, stallMaxMs, resetsPerMinute, delayedShare * 100,
          delayMs, limitedShare * 100, bytesPerSecond);
    }
  }

  /** Above this many held bytes in one direction the relay stops reading that side (TCP backpressure). */
  private static final int HIGH_WATER = 256 * 1024;

  private final Vertx vertx;
  private final String targetHost;
  private final int targetPort;
  private final long seed;
  private final Faults faults;
  private final NetServer server;
  private final NetClient client;
  private final Set<Link> links = ConcurrentHashMap.newKeySet();
  private final AtomicLong linkIndex = new AtomicLong();
  private volatile boolean active;
  private volatile boolean refuseNew;

  final AtomicLong accepted = new AtomicLong();
  final AtomicLong stalls = new AtomicLong();
  final AtomicLong stalledMs = new AtomicLong();
  final AtomicLong resets = new AtomicLong();
  final AtomicLong delayedLinks = new AtomicLong();
  final AtomicLong limitedLinks = new AtomicLong();
  final AtomicLong halfOpened = new AtomicLong();
  final AtomicLong bytes = new AtomicLong();

  private LinkRelay(Vertx vertx, String targetHost, int targetPort, long seed, Faults faults) {
    this.vertx = vertx;
    this.targetHost = targetHost;
    this.targetPort = targetPort;
    this.seed = seed;
    this.faults = faults;
    // SO_LINGER 0: close() sends an RST, not a FIN: a reset is a reset.
    this.server = vertx.createNetServer(new NetServerOptions().setSoLinger(0).setTcpNoDelay(true))
        .connectHandler(this::accept);
    this.client = vertx.createNetClient(new NetClientOptions().setSoLinger(0).setTcpNoDelay(true)
        .setConnectTimeout(5_000));
  }

  static Future<LinkRelay> start(Vertx vertx, int targetPort, long seed, Faults faults) {
    LinkRelay relay = new LinkRelay(vertx, "127.0.0.1", targetPort, seed, faults);
    return relay.server.listen(0, "127.0.0.1").map(s -> relay);
  }

  int port() {
    return server.actualPort();
  }

  String url() {
    return "ws://127.0.0.1:" + port() + "/ws";
  }

  long seed() {
    return seed;
  }

  Faults faults() {
    return faults;
  }

  int connectionCount() {
    return links.size();
  }

  /** Starts (true) or stops (false) injecting stalls and resets; delays and limits apply whenever set. */
  LinkRelay active(boolean on) {
    active = on;
    if (on) {
      for (Link l : links) {
        l.context.runOnContext(v -> l.scheduleNextFault());
      }
    }
    return this;
  }

  /** Every link open now goes silent for good, both ways, and is never closed. Returns how many. */
  int halfOpenAll() {
    int n = 0;
    for (Link l : links) {
      l.halfOpen = true;
      n++;
    }
    halfOpened.addAndGet(n);
    return n;
  }

  /** While on, a new connection is reset as soon as it is accepted (no path to the gateway). */
  LinkRelay refuseNew(boolean on) {
    refuseNew = on;
    return this;
  }

  Future<Void> stop() {
    active = false;
    return server.close().transform(ar -> {
      for (Link l : List.copyOf(links)) {
        l.context.runOnContext(v -> l.reset(false));
      }
      return client.close();
    });
  }

  /** The figures for a FaultRow's "faults injected" column. */
  String injected() {
    return String.format("%d stalls (%.1f s in all), %d resets, %d of %d links delayed %d ms, %d limited to %d B/s"
        + "%s, seed %d", stalls.get(), stalledMs.get() / 1000.0, resets.get(), delayedLinks.get(), accepted.get(),
        faults.delayMs(), limitedLinks.get(), faults.bytesPerSecond(),
        halfOpened.get() > 0 ? ", " + halfOpened.get() + " half-open" : "", seed);
  }

  private void accept(NetSocket in) {
    if (refuseNew) {
      in.close();
      return;
    }
    in.pause();
    long index = linkIndex.incrementAndGet();
    accepted.incrementAndGet();
    Link link = new Link(in, vertx.getOrCreateContext(), new Random(new SplittableRandom(seed + index).nextLong()));
    links.add(link);
    in.closeHandler(v -> link.reset(false));
    client.connect(targetPort, targetHost).onComplete(ar -> {
      if (ar.failed()) {
        link.reset(false);
        return;
      }
      NetSocket out = ar.result();
      if (link.dead) {
        out.close();
        return;
      }
      link.attach(out);
      out.closeHandler(v -> link.reset(false));
      in.resume();
    });
  }

  private static long now() {
    return System.nanoTime() / 1_000_000;
  }

  /** One relayed connection and its faults. */
  private final class Link {
    final NetSocket in;
    final Context context;
    final Random random;
    final long delayMs;
    final long bytesPerSecond;
    NetSocket out;
    Pipe up;
    Pipe down;
    long stalledUntil;
    long faultTimer = -1;
    volatile boolean halfOpen;
    boolean dead;

    Link(NetSocket in, Context context, Random random) {
      this.in = in;
      this.context = context;
      this.random = random;
      this.delayMs = random.nextDouble() < faults.delayedShare() ? faults.delayMs() : 0;
      this.bytesPerSecond = random.nextDouble() < faults.limitedShare() ? faults.bytesPerSecond() : 0;
      if (delayMs > 0) {
        delayedLinks.incrementAndGet();
      }
      if (bytesPerSecond > 0) {
        limitedLinks.incrementAndGet();
      }
    }

    void attach(NetSocket socket) {
      out = socket;
      up = new Pipe(this, in, out);
      down = new Pipe(this, out, in);
      scheduleNextFault();
    }

    /** The next stall or reset of this link, at a Poisson-distributed time. */
    void scheduleNextFault() {
      double rate = faults.stallsPerMinute() + faults.resetsPerMinute();
      if (dead || !active || rate <= 0 || faultTimer >= 0) {
        return;
      }
      long wait = Math.max(1, (long) (-Math.log(1 - random.nextDouble()) * 60_000 / rate));
      faultTimer = vertx.setTimer(wait, id -> {
        faultTimer = -1;
        if (dead || !active || halfOpen) {
          return;
        }
        if (random.nextDouble() * rate < faults.resetsPerMinute()) {
          resets.incrementAndGet();
          reset(true);
          return;
        }
        long d = faults.stallMinMs() + (long) (random.nextDouble() * (faults.stallMaxMs() - faults.stallMinMs()));
        stalls.incrementAndGet();
        stalledMs.addAndGet(d);
        stalledUntil = Math.max(stalledUntil, now() + d);
        scheduleNextFault();
      });
    }

    /** Closes both sides (an RST: SO_LINGER 0), dropping whatever is held. */
    void reset(boolean injected) {
      if (dead) {
        return;
      }
      dead = true;
      links.remove(this);
      if (faultTimer >= 0) {
        vertx.cancelTimer(faultTimer);
      }
      in.close();
      if (out != null) {
        out.close();
      }
    }
  }

  /** One direction of a link: chunks held until due, written in order. */
  private final class Pipe {
    private final Link link;
    private final NetSocket from;
    private final NetSocket to;
    private final ArrayDeque<Object[]> held = new ArrayDeque<>();
    private long heldBytes;
    private long nextFree;
    private long timer = -1;
    private boolean paused;
    private boolean waitingDrain;

    Pipe(Link link, NetSocket from, NetSocket to) {
      this.link = link;
      this.from = from;
      this.to = to;
      from.handler(this::onData);
    }

    private void onData(Buffer data) {
      if (link.dead || link.halfOpen) {
        return; // half-open: read and discarded, as packets into a void; the socket stays open
      }
      long t = now();
      long due = Math.max(Math.max(t + link.delayMs, link.stalledUntil), nextFree);
      nextFree = link.bytesPerSecond > 0 ? due + data.length() * 1000L / link.bytesPerSecond : due;
      held.add(new Object[] {due, data});
      heldBytes += data.length();
      if (heldBytes > HIGH_WATER && !paused) {
        paused = true;
        from.pause();
      }
      flush();
    }

    private void flush() {
      if (link.dead || link.halfOpen || waitingDrain) {
        return;
      }
      long t = now();
      while (!held.isEmpty()) {
        long due = Math.max((Long) held.peekFirst()[0], link.stalledUntil);
        if (due > t) {
          if (timer < 0) {
            timer = vertx.setTimer(Math.max(1, due - t), id -> {
              timer = -1;
              flush();
            });
          }
          return;
        }
        Buffer data = (Buffer) held.pollFirst()[1];
        heldBytes -= data.length();
        bytes.addAndGet(data.length());
        to.write(data);
        if (to.writeQueueFull()) {
          waitingDrain = true;
          to.drainHandler(v -> {
            waitingDrain = false;
            flush();
          });
          break;
        }
      }
      if (paused && heldBytes < HIGH_WATER / 2) {
        paused = false;
        from.resume();
      }
    }
  }
}
