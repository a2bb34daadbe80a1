package io.tether.gateway.services;

import io.tether.gateway.auth.Authenticator;
import io.tether.gateway.auth.Authenticators;
import io.tether.gateway.auth.Grant;
import io.tether.gateway.auth.JwtAuthenticator;
import io.tether.gateway.auth.Peer;
import io.tether.gateway.config.GatewayOptions;
import io.tether.gateway.metrics.GatewayMetrics;
import io.tether.gateway.routing.NodeEndpoint;
import io.tether.gateway.routing.NodeOp;
import io.tether.gateway.routing.Router;
import io.tether.gateway.session.LocalSessions;
import io.tether.gateway.session.NodeBuffer;
import io.tether.gateway.session.Session;
import io.tether.gateway.session.SessionPort;
import io.tether.gateway.session.SessionState;
import io.tether.gateway.store.ClusterStore;
import io.tether.gateway.store.FlushOp;
import io.tether.gateway.store.PresencePage;
import io.tether.gateway.store.PresenceRecord;
import io.tether.gateway.tunnel.Tunnels;
import io.tether.protocol.Frame;
import io.tether.protocol.FrameCodec;
import io.tether.protocol.FrameTemplate;
import io.tether.protocol.RawJson;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.Json;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.logging.Logger;

/**
 * A gateway node's services, wired together: handshakes, backend dispatch, server-initiated requests, topic fan-out,
 * presence, session ends, the cluster watch and the drain. It is the {@link SessionPort} of every session here and
 * what the bridge, the transport and the management server call. Each concern lives in its own class; this one only
 * delegates.
 */
public final class GatewayServices implements SessionPort, NodeEndpoint.Services {

  private static final Logger LOG = Logger.getLogger(GatewayServices.class.getName());

  private final NodeCore core;
  private final Presence presence;
  private final TopicFanout topics;
  private final BackendDispatch backends;
  private final ServerRequests serverRequests;
  private final SessionEnds ends;
  private final Drain drain;
  private final ClusterWatch clusterWatch;
  private final Handshakes handshakes;
  private final NodeEndpoint endpoint;
  /** Set by {@link #start} before any client can connect. */
  private volatile Authenticator authenticator;
  private final NodeBuffer nodeBuffer;
  private final Tunnels tunnels;

  public GatewayServices(Vertx vertx, GatewayOptions options, String instance, ClusterStore store,
      GatewayMetrics metrics) {
    LocalSessions local = new LocalSessions();
    FrameCodec codec = new FrameCodec(options.getMaxFrameBytes());
    this.core = new NodeCore(vertx, options, options.getNodeId(), instance, store, metrics, codec, local,
        new Router(vertx, instance, local, store));
    this.presence = new Presence(core);
    this.topics = new TopicFanout(core);
    this.drain = new Drain(core);
    this.backends = new BackendDispatch(core, drain.inFlight());
    this.serverRequests = new ServerRequests(core);
    this.ends = new SessionEnds(core, presence);
    this.clusterWatch = new ClusterWatch(core, presence);
    this.handshakes = new Handshakes(core, this, presence, ends, topics, backends, drain::draining,
        () -> authenticator);
    this.endpoint = new NodeEndpoint(vertx, core.router(), local, codec, this);
    this.tunnels = new Tunnels(vertx, options, metrics, codec, core.router(), local);
    handshakes.onResumed(tunnels::attached);
    metrics.sessionGauge("ONLINE", local, l -> count(l, SessionState.ONLINE));
    metrics.sessionGauge("SUSPECT", local, l -> count(l, SessionState.SUSPECT));
    this.nodeBuffer = new NodeBuffer(NodeBuffer.budget(options.getNodeBufferMaxBytes()),
        () -> metrics.limited("node_buffer"));
    metrics.bufferedBytesGauge(nodeBuffer::bytes);
    metrics.bufferBudgetGauge(nodeBuffer.maxBytes());
    storeGauges(metrics, store, "sessions", ClusterStore.SESSIONS);
    storeGauges(metrics, store, "presence", ClusterStore.CLIENTS);
    storeGauges(metrics, store, "topics", ClusterStore.TOPICS);
  }

  private static void storeGauges(GatewayMetrics metrics, ClusterStore store, String name, String map) {
    metrics.storeGauge(name, "owned", () -> store.localStats(map).getOwnedEntryCount());
    metrics.storeGauge(name, "backup", () -> store.localStats(map).getBackupEntryCount());
  }

  private static double count(LocalSessions local, SessionState state) {
    return local.all().stream().filter(s -> s.state() == state).count();
  }

  /**
   * Starts watching the cluster (every member, backend-only ones too: the oldest detaches a dead node's sessions) and,
   * on a gateway node, the node-to-node endpoint.
   */
  public Future<Void> start(boolean gateway) {
    clusterWatch.start();
    if (!gateway) {
      return Future.succeededFuture();
    }
    return Authenticators.create(core.vertx(), core.options()).compose(a -> {
      authenticator = a;
      announceAuth();
      return endpoint.start();
    });
  }

  private void announceAuth() {
    GatewayOptions o = core.options();
    if (o.getAuth() != GatewayOptions.AuthMode.NONE) {
      LOG.info(() -> "clients authenticate with " + o.getAuth().name().toLowerCase(java.util.Locale.ROOT)
          + (authenticator instanceof JwtAuthenticator j ? " " + j.algorithms() : " at " + o.getAuthAddress()));
    } else if (!isLoopback(o.getHost())) {
      LOG.warning("auth is none: any client that reaches " + o.getHost() + ":" + o.getPort() + " can claim any "
          + "clientId (and end that client's session); use --auth jwt or --auth backend outside development "
          + "(docs/SECURITY.md)");
    }
  }

  private static boolean isLoopback(String host) {
    return host.equals("localhost") || host.startsWith("127.") || host.equals("::1");
  }

  /** Ends the client's current session for good ({@code gateway.kick}); false if it has none. */
  public Future<Boolean> kick(String clientId) {
    return sessionOf(clientId).compose(id -> id == null ? Future.succeededFuture(false)
        : endSession(id, "kicked").map(true));
  }

  public Handshakes handshakes() {
    return handshakes;
  }

  public String nodeId() {
    return core.nodeId();
  }

  public boolean draining() {
    return drain.draining();
  }

  /** True while this node is on the minority side of a split (split-brain protection): it cannot store sessions. */
  public boolean quorumLost() {
    return !core.store().hasQuorum();
  }

  /** Runs {@code hook} when the node starts draining (the bridge withdraws the public gateway.* API). */
  public void onDrain(Runnable hook) {
    drain.onDrain(hook);
  }

  /** Counts {@code work} (a backend's call being served) as in flight until it completes: a drain waits for it. */
  public void track(Future<?> work) {
    drain.track(work);
  }

  public Future<Void> drain(long timeoutMs) {
    return drain.drain(timeoutMs);
  }

  // -- the API the bridge serves (docs/PROTOCOL.md §8) ---------------------------------------------------------

  /**
   * Delivers reliable pushes (bodies as JSON text) in order, all or none, wherever the session is; completes with the
   * last one's seq once they are durable.
   *
   * @param sendId the sender's idempotency key, or null: a send repeated with the same key (a retry after a lost
   *     reply) is answered with the first one's seq and delivers nothing again
   */
  public Future<Long> push(String sessionId, long stream, String resource, List<String> bodies, String sendId) {
    List<FrameTemplate> frames = new ArrayList<>(bodies.size());
    for (String body : bodies) {
      frames.add(core.codec().template(new Frame.Push(0, stream, resource, RawJson.of(body))));
    }
    return core.router().deliver(sessionId, frames, 0, stream, sendId);
  }

  /** Sends a volatile push if the session is attached here or on another node; volatile frames are never buffered. */
  public Future<Boolean> sendVolatile(String sessionId, Frame.Push push) {
    return core.router().locate(sessionId).compose(where -> {
      if (where instanceof Router.Location.Here here) {
        Session s = here.session();
        return s.run(() -> Future.succeededFuture(s.sendVolatile(push)));
      }
      if (where instanceof Router.Location.OnNode node) {
        return core.router().forward(node.instance(), new NodeOp.SendVolatile(sessionId, core.codec().encode(push), 1))
            .map(Boolean.TRUE::equals);
      }
      return Future.succeededFuture(false);
    });
  }

  /** Asks the client (a server-initiated request) and completes with its answer's body. */
  public Future<Object> requestClient(String sessionId, String address, Object body, long timeoutMs) {
    return serverRequests.ask(sessionId, address, Json.encode(body), timeoutMs, 0);
  }

  public Future<Long> publish(String topic, Object body) {
    return topics.publish(topic, body);
  }

  /** Refreshes the cluster's topic count that bounds topic creation. */
  public Future<Integer> countTopics() {
    return topics.countTopics();
  }

  public Future<PresenceRecord> presence(String clientId) {
    return presence.of(clientId);
  }

  /** A page of the cluster's presence records by clientId, optionally in one state, with the counts by state. */
  public Future<PresencePage> presencePage(int page, int size, String state) {
    return core.store().presencePage(page, size, state);
  }

  /** The cluster's presence records counted by state. */
  public Future<Map<String, Long>> presenceCounts() {
    return core.store().presenceCounts();
  }

  /** The instance ids (node id + start suffix) of the current cluster members, gateway and backend ones. */
  public Set<String> clusterInstances() {
    return core.store().liveNodes();
  }

  /** Resolves a client id to its current session id (null if it has none that is not closed). */
  public Future<String> sessionOf(String clientId) {
    return presence.sessionOf(clientId);
  }

  /** Ends a session wherever it is: {@code replaced} by a newer hello, {@code kicked} by an operator. */
  public Future<Void> endSession(String sessionId, String reason) {
    return ends.end(sessionId, reason, 0);
  }

  /** Expires sessions detached past their window (run by the oldest member) and reports them CLOSED. */
  public Future<Integer> expireDetached() {
    return ends.expireDetached();
  }

  /** True while this node holds the session with a socket (it believes it is the owner). */
  public boolean isAttachedHere(String sessionId) {
    return core.local().contains(sessionId);
  }

  public int localSessionCount() {
    return core.local().size();
  }

  // -- NodeEndpoint.Services: operations forwarded by other nodes ----------------------------------------------

  @Override
  public Future<Object> ask(NodeOp.Ask op) {
    return serverRequests.ask(op.sessionId(), op.address(), op.body(), op.timeoutMs(), op.hops());
  }

  @Override
  public Future<Void> end(NodeOp.End op) {
    return ends.end(op.sessionId(), op.reason(), op.hops());
  }

  // -- SessionPort: what sessions ask of the node ---------------------------------------------------------------

  @Override
  public GatewayOptions options() {
    return core.options();
  }

  @Override
  public FrameCodec codec() {
    return core.codec();
  }

  @Override
  public GatewayMetrics metrics() {
    return core.metrics();
  }

  @Override
  public String instance() {
    return core.instance();
  }

  @Override
  public void setTimer(long delayMs, Runnable action) {
    core.vertx().setTimer(delayMs, id -> action.run());
  }

  @Override
  public Future<Integer> write(String sessionId, FlushOp op) {
    return core.store().flush(sessionId, op);
  }

  @Override
  public Frame.ErrorInfo checkAddress(Frame.Request request) {
    return backends.checkAddress(request);
  }

  @Override
  public Future<Grant> authenticate(Session session, String token) {
    if (core.options().getAuth() == GatewayOptions.AuthMode.NONE) {
      return Future.succeededFuture(session.grant());
    }
    return handshakes.checked(authenticator.authenticate(null, token, null, Peer.UNKNOWN));
  }

  @Override
  public boolean topicAllowed(String topic) {
    return topics.allowed(topic);
  }

  @Override
  public void dispatch(Session session, Frame.Request request) {
    backends.dispatch(session, request);
  }

  @Override
  public void redispatch(Session session, Frame.Request request) {
    backends.redispatch(session, request);
  }

  @Override
  public void writeUnsure(Session session, List<Frame.Request> requests) {
    if (!requests.isEmpty()) {
      backends.writeUnsure(session, requests, 3);
    }
  }

  @Override
  public void stream(Session session, Frame frame) {
    tunnels.onFrame(session, frame);
  }

  @Override
  public void answered(Session session, Frame.Response response) {
    serverRequests.answered(session, response);
  }

  @Override
  public void follow(Session session, String topic) {
    topics.follow(session, topic);
  }

  @Override
  public void unfollow(Session session, String topic) {
    topics.unfollow(session, topic);
  }

  @Override
  public void heartbeat(Session session, String attrs) {
    attrs = attrs == null ? null : Handshakes.merged(attrs, session.grant().attrs());
    presence.heartbeat(session, attrs);
  }

  @Override
  public Future<Void> stateChanged(Session session, SessionState state) {
    return presence.changed(session.clientId(), session.id(), state);
  }

  @Override
  public void released(Session session) {
    session.releaseBuffer();
    core.local().remove(session);
    for (String topic : session.subscriptions().keySet()) {
      topics.unfollow(session, topic);
    }
    serverRequests.sessionLeft(session);
    tunnels.detached(session.id());
  }

  @Override
  public Future<Void> ended(Session session, String reason) {
    released(session);
    tunnels.ended(session.id());
    return ends.ended(session, reason);
  }

  @Override
  public void respondElsewhere(String sessionId, Frame.Response response) {
    backends.respond(sessionId, response);
  }

  /** Exports the memory-by-lifetime meters; {@code connections} counts the node's client sockets. */
  public void exportMemory(java.util.function.Supplier<Number> connections) {
    core.metrics().memoryGauges(nodeBuffer::bytes, connections, core.local()::size);
  }

  @Override
  public NodeBuffer nodeBuffer() {
    return nodeBuffer;
  }
}
