package io.tether.client.internal;

/** One attached socket, as the parts that write frames on it see it. */
public interface Link {

  /** Tells sockets apart: an own frame written on one is written again on the next (resume). */
  int id();

  /** Writes one frame's text. */
  void write(String text);
}
