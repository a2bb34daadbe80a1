package io.tether.gateway.session;

import java.util.ArrayList;
import java.util.List;

/** A socket that keeps what the session writes, and how it was closed. */
final class FakeTransport implements Transport {

  final List<String> written = new ArrayList<>();
  boolean full;
  boolean paused;
  short closedWith;

  @Override
  public void write(String text) {
    written.add(text);
  }

  @Override
  public boolean writeQueueFull() {
    return full;
  }

  @Override
  public void pauseReading(boolean paused) {
    this.paused = paused;
  }

  @Override
  public void close(short code, String reason) {
    closedWith = code;
  }
}
