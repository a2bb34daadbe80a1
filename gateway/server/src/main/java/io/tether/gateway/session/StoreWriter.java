package io.tether.gateway.session;

import io.tether.gateway.auth.Grant;
import io.tether.gateway.store.FlushOp;
import io.tether.gateway.store.PendingRequest;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * What changed in a session since its last store write, besides frames (docs/ARCHITECTURE.md "The write path"):
 * subscriptions, pending client requests, and whether only a trim of acknowledged frames is due. At most one write
 * is in flight; it carries everything that accumulated meanwhile.
 */
final class StoreWriter {

  /**
   * A store write that would only trim acknowledged frames waits this long for other changes to ride with. Under
   * load the trim goes out with the next frames; an idle session trims once, a moment later.
   */
  private static final long TRIM_DELAY_MS = 100;

  private Map<String, Long> subsPut;
  private List<String> subsRemove;
  private List<PendingRequest> pendingPut;
  private List<Long> pendingRemove;
  private Grant renewed;
  private List<String> refusals;
  private boolean trimDue;
  private boolean trimTimerSet;
  private boolean inFlight;
  private boolean scheduled;

  void subscribed(String topic, long version) {
    if (subsPut == null) {
      subsPut = new HashMap<>(4);
    }
    subsPut.put(topic, version);
  }

  void unsubscribed(String topic) {
    if (subsPut != null) {
      subsPut.remove(topic);
    }
    if (subsRemove == null) {
      subsRemove = new ArrayList<>(2);
    }
    subsRemove.add(topic);
  }

  void requestAccepted(PendingRequest request) {
    if (pendingPut == null) {
      pendingPut = new ArrayList<>(2);
    }
    pendingPut.add(request);
  }

  void requestAnswered(long stream) {
    if (pendingRemove == null) {
      pendingRemove = new ArrayList<>(2);
    }
    pendingRemove.add(stream);
  }

  /** A client frame was refused with an error frame ({@code text}): the store keeps it to repeat after a resume. */
  void refused(String text) {
    if (refusals == null) {
      refusals = new ArrayList<>(2);
    }
    refusals.add(text);
  }

  /** The client renewed its credential in the session: the store keeps the new grant for a resume elsewhere. */
  void credentialRenewed(Grant grant) {
    renewed = grant;
  }

  /** The client acked frames: the stored buffer may be trimmed (a write on its own only if nothing else comes). */
  void trimDue() {
    trimDue = true;
  }

  boolean isTrimDue() {
    return trimDue;
  }

  /** True if changes other than a trim wait for a write. */
  boolean hasChanges() {
    return subsPut != null || subsRemove != null || pendingPut != null || pendingRemove != null || renewed != null
        || refusals != null;
  }

  /**
   * Sets the one trim timer, unless it is set: after {@link #TRIM_DELAY_MS}, {@code write} runs if a trim is still due (no
   * other write has carried it meanwhile).
   */
  void armTrimTimer(SessionPort port, Runnable write) {
    if (trimTimerSet) {
      return;
    }
    trimTimerSet = true;
    port.setTimer(TRIM_DELAY_MS, () -> {
      trimTimerSet = false;
      if (trimDue) {
        write.run();
      }
    });
  }

  /** Claims the write scheduled for the end of this event-loop turn; false if one is scheduled or in flight. */
  boolean schedule() {
    if (scheduled || inFlight) {
      return false;
    }
    scheduled = true;
    return true;
  }

  void unschedule() {
    scheduled = false;
  }

  boolean inFlight() {
    return inFlight;
  }

  /** Builds the next write from the accumulated changes (which start anew) and marks it in flight. */
  FlushOp begin(long epoch, Outbox.Batch batch, long acked, long inSeq, boolean detach, long now) {
    FlushOp op = new FlushOp(epoch, batch.frames(), acked, inSeq, subsPut, subsRemove, pendingPut, pendingRemove,
        null, detach, now, batch.sendIds());
    if (renewed != null) {
      op.withCredential(renewed.toJson(), renewed.expiresAt());
      renewed = null;
    }
    if (refusals != null) {
      op.withRefusals(refusals);
      refusals = null;
    }
    subsPut = null;
    subsRemove = null;
    pendingPut = null;
    pendingRemove = null;
    trimDue = false;
    inFlight = true;
    return op;
  }

  void done() {
    inFlight = false;
  }
}
