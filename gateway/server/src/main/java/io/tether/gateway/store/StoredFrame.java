package io.tether.gateway.store;

/** A reliable server frame as sent: its seq and exact text, so that a replay is byte for byte the original. */
public record StoredFrame(long seq, String text) {

  /** UTF-16 length as a cheap, stable size measure; frames are almost all ASCII JSON. */
  public int size() {
    return text.length();
  }
}
