package io.tether.loadtest;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.websocketx.CloseWebSocketFrame;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketServerProtocolConfig;
import io.netty.handler.codec.http.websocketx.WebSocketServerProtocolHandler;
import java.util.HashMap;
import java.util.Map;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

/**
 * A deliberately broken gateway for {@link SimulationSelfTest}: a small server speaking enough of the wire protocol
 * (docs/PROTOCOL.md: hello/welcome, ping/pong, demo.echo, demo.push, ack, resume with replay, bye) for the
 * simulations to run against it, with exactly one {@link Fault}. Everything runs on one event-loop thread, so the
 * session map needs no locking. Test code only: no limits, no store, sessions live until {@link #close()}.
 */
final class BrokenGateway implements AutoCloseable {

  /** What this server gets wrong. */
  enum Fault {
    /** The second ping of every session gets no pong. */
    NO_PONG,
    /** The third echo of every session answers a different body. */
    WRONG_ECHO_BODY,
    /** The second echo of every session comes {@link #SLOW_MS} late, correct otherwise: only a percentile sees it. */
    SLOW_ECHO,
    /** The middle push of every demo.push is never sent (its seq is used: a gap). */
    DROP_PUSH,
    /** The middle push of every demo.push is sent twice (same seq). */
    DUPLICATE_PUSH,
    /** A resume replays every missed frame but the first. */
    REPLAY_SKIPS_FRAME
  }

  /** How late SLOW_ECHO answers: above the self-test's loose bound (3 s), which a real node stays under even busy. */
  static final long SLOW_MS = 4000;

  private final Fault fault;
  private final EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
  private final Channel server;
  private final Map<String, Session> sessions = new HashMap<>();

  private static final class Session {
    final String id = UUID.randomUUID().toString();
    String token = UUID.randomUUID().toString();
    Channel channel;
    long serverSeq;
    long clientSeq;
    int pings;
    int echoes;
    /** Every reliable frame sent, by seq, for replay. */
    final TreeMap<Long, String> sent = new TreeMap<>();
  }

  BrokenGateway(Fault fault, int port) throws InterruptedException {
    this.fault = fault;
    WebSocketServerProtocolConfig ws = WebSocketServerProtocolConfig.newBuilder()
        .websocketPath("/ws").checkStartsWith(true).maxFramePayloadLength(1 << 20).build();
    server = new ServerBootstrap().group(group).channel(NioServerSocketChannel.class)
        .childHandler(new ChannelInitializer<SocketChannel>() {
          @Override
          protected void initChannel(SocketChannel ch) {
            ch.pipeline().addLast(new HttpServerCodec(), new HttpObjectAggregator(1 << 16),
                new WebSocketServerProtocolHandler(ws), new Handler());
          }
        })
        .bind("127.0.0.1", port).sync().channel();
  }

  @Override
  public void close() {
    server.close().syncUninterruptibly();
    group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
  }

  private final class Handler extends SimpleChannelInboundHandler<TextWebSocketFrame> {
    private Session session;

    @Override
    protected void channelRead0(ChannelHandlerContext ctx, TextWebSocketFrame msg) throws Exception {
      JsonNode f = FrameTracker.JSON.readTree(msg.text());
      String type = f.path("type").asText();
      if (session == null) {
        handshake(ctx.channel(), type, f);
        return;
      }
      switch (type) {
        case "ping" -> {
          session.pings++;
          if (!(fault == Fault.NO_PONG && session.pings == 2)) {
            write(session, frame("pong").put("ack", session.clientSeq));
          }
        }
        case "request" -> request(ctx, f);
        case "bye" -> {
          sessions.remove(session.id);
          ctx.writeAndFlush(new CloseWebSocketFrame(1000, "bye"));
        }
        default -> { // ack and anything else: nothing to do
        }
      }
    }

    private void handshake(Channel channel, String type, JsonNode f) {
      if (type.equals("hello")) {
        session = new Session();
        session.channel = channel;
        sessions.put(session.id, session);
        write(session, frame("welcome").put("sessionId", session.id).put("resumeToken", session.token)
            .put("heartbeatMs", 25_000).put("resumeWindowMs", 120_000).put("node", "broken"));
        return;
      }
      Session s = sessions.get(f.path("sessionId").asText());
      if (!type.equals("resume") || s == null || !s.token.equals(f.path("resumeToken").asText())) {
        channel.writeAndFlush(new TextWebSocketFrame(frame("error").put("code", "resume_failed")
            .put("fatal", true).toString()));
        channel.writeAndFlush(new CloseWebSocketFrame(1008, "resume_failed"));
        return;
      }
      session = s;
      s.channel = channel;
      s.token = UUID.randomUUID().toString();
      write(s, frame("resumed").put("sessionId", s.id).put("resumeToken", s.token).put("lastSeq", s.clientSeq)
          .put("node", "broken"));
      boolean skip = fault == Fault.REPLAY_SKIPS_FRAME;
      for (String text : s.sent.tailMap(f.path("lastSeq").asLong(), false).values()) {
        if (skip) {
          skip = false;
          continue;
        }
        channel.writeAndFlush(new TextWebSocketFrame(text));
      }
    }

    private void request(ChannelHandlerContext ctx, JsonNode f) {
      Session s = session;
      s.clientSeq = f.path("seq").asLong();
      write(s, frame("ack").put("ack", s.clientSeq));
      long stream = f.path("stream").asLong();
      JsonNode body = f.path("body");
      switch (f.path("address").asText()) {
        case "demo.echo" -> {
          s.echoes++;
          JsonNode answer = fault == Fault.WRONG_ECHO_BODY && s.echoes == 3
              ? ((ObjectNode) body.deepCopy()).put("wrong", true) : body;
          if (fault == Fault.SLOW_ECHO && s.echoes == 2) {
            ctx.executor().schedule(() -> sendReliable(s, response(stream, answer)), SLOW_MS, TimeUnit.MILLISECONDS);
          } else {
            sendReliable(s, response(stream, answer));
          }
        }
        case "demo.push" -> {
          int count = body.path("count").asInt();
          for (int n = 1; n <= count; n++) {
            ObjectNode push = frame("push").put("stream", 0);
            push.set("body", FrameTracker.JSON.createObjectNode().put("n", n));
            boolean middle = n == (count + 1) / 2;
            if (fault == Fault.DROP_PUSH && middle) {
              s.serverSeq++; // used, never sent
              continue;
            }
            String text = sendReliable(s, push);
            if (fault == Fault.DUPLICATE_PUSH && middle) {
              s.channel.writeAndFlush(new TextWebSocketFrame(text));
            }
          }
          sendReliable(s, response(stream, FrameTracker.JSON.createObjectNode().put("sent", count)));
        }
        default -> sendReliable(s, frame("response").put("stream", stream).put("ok", false).put("fin", true));
      }
    }
  }

  private static ObjectNode frame(String type) {
    return FrameTracker.JSON.createObjectNode().put("type", type);
  }

  private static ObjectNode response(long stream, JsonNode body) {
    ObjectNode r = frame("response").put("stream", stream).put("ok", true).put("fin", true);
    r.set("body", body);
    return r;
  }

  /** Gives the frame the next server seq, keeps it for replay and writes it; returns its text. */
  private static String sendReliable(Session s, ObjectNode f) {
    f.put("seq", ++s.serverSeq);
    String text = f.toString();
    s.sent.put(s.serverSeq, text);
    s.channel.writeAndFlush(new TextWebSocketFrame(text));
    return text;
  }

  private static void write(Session s, ObjectNode f) {
    s.channel.writeAndFlush(new TextWebSocketFrame(f.toString()));
  }
}
