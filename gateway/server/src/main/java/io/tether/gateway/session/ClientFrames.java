package io.tether.gateway.session;

import io.tether.gateway.auth.AuthRefused;
import io.tether.gateway.auth.Grant;
import io.tether.gateway.store.PendingRequest;
import io.vertx.core.AsyncResult;
import io.tether.protocol.ErrorCode;
import io.tether.protocol.Frame;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;
import java.util.logging.Logger;

/**
 * What a session does with the client's reliable frames (docs/PROTOCOL.md §3, §5, §6): the decision taken when a
 * frame is accepted in sequence (go ahead, or a refusal), and the action taken once the position that includes it is
 * durable.
 */
final class ClientFrames {

  private static final Logger LOG = Logger.getLogger(ClientFrames.class.getName());

  private ClientFrames() {
  }

  /** A frame that is not reliable: acks, heartbeats, bye, and what a client may not send. */
  static void onControl(Session session, Frame frame) {
    if (frame instanceof Frame.Ack a) {
      session.onAck(a.ack());
    } else if (frame instanceof Frame.Ping p) {
      if (p.ack() >= 0) {
        session.onAck(p.ack());
      }
      String attrs = p.attrs() == null ? null : p.attrs().json();
      String tooLarge = AttrsLimit.check(p.attrs(), session.port().options().getMaxAttrsBytes(),
          session.port().options().getMaxAttrsKeys());
      if (tooLarge != null) {
        // Still a heartbeat; only the new attrs are ignored (docs/PROTOCOL.md §12).
        session.port().metrics().limited("attrs");
        session.sendError(Frame.Error.of(ErrorCode.TOO_LARGE, tooLarge + ": they are ignored, the previous attrs stay",
            false));
        attrs = null;
      }
      if (session.liveness().presenceDue(System.currentTimeMillis(), attrs != null,
          session.port().options().getPresenceRefreshMs())) {
        session.port().heartbeat(session, attrs);
      }
      session.send(new Frame.Pong(session.durableInSeq()));
    } else if (frame instanceof Frame.Pong p) {
      if (p.ack() >= 0) {
        session.onAck(p.ack());
      }
    } else if (frame instanceof Frame.Auth a) {
      session.port().authenticate(session, a.token()).onComplete(ar -> renewed(session, ar));
    } else if (frame instanceof Frame.Credit) {
      session.port().stream(session, frame);
    } else if (frame instanceof Frame.Bye) {
      session.end("bye", true);
    } else if (frame instanceof Frame.Hello || frame instanceof Frame.Resume) {
      session.sendError(Frame.Error.of(ErrorCode.BAD_FRAME, "the session is already established on this socket",
          false));
    } else if (frame instanceof Frame.Error e) {
      LOG.fine(() -> "client " + session.clientId() + " reported error " + e.code() + ": " + e.message());
    } else {
      session.sendError(Frame.Error.of(ErrorCode.NOT_ALLOWED, "clients may not send '" + frame.type() + "' frames",
          false));
    }
  }

  /** The answer to an {@code auth} frame: the new grant, for the same client, or a non-fatal refusal. */
  private static void renewed(Session session, AsyncResult<Grant> ar) {
    if (!session.attached()) {
      return;
    }
    if (ar.succeeded() && ar.result().clientId().equals(session.clientId())) {
      session.renewCredential(ar.result());
      return;
    }
    AuthRefused refused = ar.failed() && ar.cause() instanceof AuthRefused r ? r
        : ar.failed() ? new AuthRefused(AuthRefused.UNAVAILABLE, "the credential could not be checked")
        : new AuthRefused(AuthRefused.WRONG_CLIENT, "the new credential is for another client");
    session.sendError(new Frame.Error(refused.code().wire(), refused.getMessage(), refused.reason(), false, 0, null));
  }

  /**
   * Decides, when a client frame is accepted, what it will do; the decision is recorded in the same store write as
   * the position that includes the frame, so a crash cannot separate them. Returns the refusal, if any.
   */
  static Frame.ErrorInfo accept(Session session, Frame.Reliable f) {
    Frame.ErrorInfo problem = decide(session, f);
    if (problem != null && !(f instanceof Frame.Request && !ErrorCode.BAD_FRAME.wire().equals(problem.code()))) {
      // Answered by an error frame, not on a stream of its own (durable below): the store keeps the refusal with the
      // position, and a resume repeats it, so a client that lost it in a break does not take the frame as accepted.
      session.writer().refused(session.port().codec().encode(refusal(f, problem)));
    }
    return problem;
  }

  /** The error frame that refuses {@code f}: it names the frame's seq (and topic, for a subscribe). */
  private static Frame.Error refusal(Frame.Reliable f, Frame.ErrorInfo problem) {
    return Frame.Error.refusing(ErrorCode.fromWire(problem.code()), problem.message(), f.seq(),
        f instanceof Frame.Subscribe s ? s.topic() : null);
  }

  private static Frame.ErrorInfo decide(Session session, Frame.Reliable f) {
    if (f instanceof Frame.Request r) {
      Frame.ErrorInfo problem = checkStream(session, r);
      if (problem == null) {
        problem = session.port().checkAddress(r);
      }
      if (problem == null && !session.credential().allowsAddress(r.address())) {
        problem = new Frame.ErrorInfo(ErrorCode.NOT_ALLOWED.wire(), "address '" + r.address()
            + "' is not allowed for this client's credential");
      }
      if (problem == null) {
        session.streams().open(r.stream(), r.seq());
        session.writer().requestAccepted(new PendingRequest(r.seq(), r.stream(), r.address(),
            r.body() == null ? null : r.body().json(), session.port().instance()));
      }
      return problem;
    }
    if (f instanceof Frame.Subscribe s) {
      if (!session.port().topicAllowed(s.topic())) {
        return new Frame.ErrorInfo(ErrorCode.NOT_ALLOWED.wire(), "topic '" + s.topic() + "' is not allowed");
      }
      if (!session.credential().allowsTopic(s.topic())) {
        return new Frame.ErrorInfo(ErrorCode.NOT_ALLOWED.wire(), "topic '" + s.topic()
            + "' is not allowed for this client's credential");
      }
      int max = session.port().options().getMaxSubscriptions();
      Map<String, Long> followed = session.topics().versions();
      if (followed.size() >= max && !followed.containsKey(s.topic())) {
        session.port().metrics().limited("subscriptions");
        return new Frame.ErrorInfo(ErrorCode.NOT_ALLOWED.wire(), "a session may follow at most " + max
            + " topics (maxSubscriptions): unsubscribe from one before subscribing to '" + s.topic() + "'");
      }
      session.topics().put(s.topic(), s.version());
      session.writer().subscribed(s.topic(), s.version());
      return null;
    }
    if (f instanceof Frame.Unsubscribe u) {
      session.topics().remove(u.topic());
      session.writer().unsubscribed(u.topic());
      return null;
    }
    if (f instanceof Frame.Response || f instanceof Frame.Open || f instanceof Frame.Data) {
      return null; // a stream frame the node cannot take is answered on its stream (a fin with a reason)
    }
    return new Frame.ErrorInfo(ErrorCode.NOT_ALLOWED.wire(), "clients may not send '" + f.type() + "' frames");
  }

  private static Frame.ErrorInfo checkStream(Session session, Frame.Request r) {
    if (r.stream() % 2 == 0) {
      return new Frame.ErrorInfo(ErrorCode.BAD_FRAME.wire(), "client requests use odd stream ids");
    }
    if (session.streams().isOpen(r.stream())) {
      return new Frame.ErrorInfo(ErrorCode.BAD_FRAME.wire(), "stream " + r.stream() + " already has a request open");
    }
    int max = session.port().options().getMaxPendingRequests();
    if (session.streams().openCount() >= max) {
      return new Frame.ErrorInfo(ErrorCode.RATE_LIMITED.wire(), "too many requests open (max " + max + ")");
    }
    if (!session.streams().withinRequestRate()) {
      session.port().metrics().limited("requests");
      return new Frame.ErrorInfo(ErrorCode.RATE_LIMITED.wire(), "more than "
          + session.port().options().getMaxRequestsPerSecond() + " requests per second (maxRequestsPerSecond)");
    }
    return null;
  }

  /**
   * The client frames of a finished store write are durable now. Refusals that are not answered on a stream of
   * their own go out first, as error frames naming the refused frame ({@code refSeq}), then the ack that covers
   * them (docs/PROTOCOL.md §7): a client that sees its frame acked without such an error knows it was accepted.
   * Then the accepted frames are acted on, in seq order.
   */
  static void durable(Session session, List<Inbox.Accepted> frames, long durableSeq) {
    List<Frame.Response> onStreams = null;
    int fitting = 0;
    long bytes = 0;
    for (Inbox.Accepted a : frames) {
      if (a.refusal() == null) {
        continue;
      }
      Frame.Reliable f = a.frame();
      Frame.Response answer = null;
      if (answeredOnItsStream(a)) {
        // On its stream only while the client's buffer has room: a refusal is not the answer to an accepted request,
        // so it gets no allowance past the bound, and one that does not fit goes out as an error naming the frame.
        answer = new Frame.Response(0, ((Frame.Request) f).stream(), false, null, a.refusal(), true);
        long size = session.port().codec().template(answer).fill(Long.MAX_VALUE).length();
        if (session.roomFor(fitting + 1, bytes + size)) {
          fitting++;
          bytes += size;
        } else {
          answer = null;
        }
      }
      if (answer == null) {
        session.sendError(refusal(f, a.refusal()));
      }
      if (onStreams == null) {
        onStreams = new ArrayList<>(frames.size());
      }
      onStreams.add(answer);
    }
    session.send(new Frame.Ack(durableSeq));
    int refused = 0;
    for (Inbox.Accepted a : frames) {
      Frame.Reliable f = a.frame();
      if (f instanceof Frame.Request r && a.refusal() != null) {
        Frame.Response answer = onStreams.get(refused++);
        if (answer != null) {
          session.respond(r.stream(), answer);
        }
      } else if (a.refusal() != null) {
        refused++;
        continue;
      } else if (a.refusal() != null) {
        continue;
      } else if (f instanceof Frame.Request r) {
        session.port().dispatch(session, r);
      } else if (f instanceof Frame.Response r) {
        session.port().answered(session, r);
      } else if (f instanceof Frame.Subscribe s) {
        session.port().follow(session, s.topic());
      } else if (f instanceof Frame.Unsubscribe u) {
        session.port().unfollow(session, u.topic());
      } else if (f instanceof Frame.Open || f instanceof Frame.Data) {
        session.port().stream(session, f);
      }
    }
  }

  /**
   * A refused request is answered on its stream (ok:false) unless the stream itself is what is wrong (an even id, or
   * one in use by another request, whose answer it would otherwise take).
   */
  private static boolean answeredOnItsStream(Inbox.Accepted a) {
    return a.frame() instanceof Frame.Request && !ErrorCode.BAD_FRAME.wire().equals(a.refusal().code());
  }

  /**
   * Requests that another node (or an earlier start of this one) dispatched and that nobody will answer any more,
   * because that node is not {@code alive}, are dispatched again from here (same request id); the next store write
   * records this node as their dispatcher. True if there were any.
   */
  static boolean redispatch(Session session, Predicate<String> alive) {
    List<PendingRequest> again = session.streams().orphanedBy(alive);
    for (PendingRequest p : again) {
      session.writer().requestAccepted(p.dispatchedBy(session.port().instance()));
      session.port().redispatch(session, p.frame());
    }
    return !again.isEmpty();
  }
}
