package io.tether.client.internal;

import java.util.List;

/**
 * The on-disk store as the {@link ReliableChannel} sees it (docs/CLIENT.md "Sessions across a restart"). While
 * {@link #active()}, own frames and acks wait until a {@link Snapshot} that holds them is on disk
 * ({@link ReliableChannel#durable}); {@link #changed()} asks for a save. Saves run one at a time, so frames numbered
 * during a save are committed together by the next one (group commit): one fsync per batch, not per frame.
 */
public interface Journal {

  /** No store: frames and acks go out at once. */
  Journal NONE = new Journal() {
    @Override
    public boolean active() {
      return false;
    }

    @Override
    public void changed() {
    }
  };

  /** Whether frames and acks wait for the store now. */
  boolean active();

  /** What the channel would save changed (frames numbered or acked, an ack waits): save soon. */
  void changed();

  /**
   * What the channel holds at one moment: the own frames not acked (texts, in seq order, seqs {@code acked + 1 …
   * lastSeq}), and the highest server seq received. {@code epoch} tells numberings apart (a snapshot of a lost
   * session releases nothing of the new one); {@code releasesHold}: taken after {@code resumed}, so it holds the
   * rotated token.
   */
  record Snapshot(int epoch, long acked, long lastSeq, long received, boolean releasesHold, List<String> frames) {
  }
}
