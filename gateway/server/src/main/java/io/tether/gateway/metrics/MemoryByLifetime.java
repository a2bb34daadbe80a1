package io.tether.gateway.metrics;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Supplier;

/**
 * The node's buffer memory accounted by lifetime (seed 002, docs/OPERATIONS.md "Memory by lifetime"), exported as
 * {@code tether_memory_bytes{lifetime}} and {@code tether_memory_holders{lifetime}}:
 * <ul>
 *   <li>{@code connection}: text written to client sockets and not yet handed to the kernel (Netty's outbound
 *   queue); it lives as long as the socket and is gone when the socket closes;</li>
 *   <li>{@code session}: unacknowledged server frames (the replay buffer, bounded by the buffer options and the
 *   node budget); it moves with the session and survives a reconnect;</li>
 *   <li>{@code request}: client request bodies forwarded to a backend whose reply has not come back; freed by the
 *   reply or the timeout.</li>
 * </ul>
 * Counters are {@link LongAdder}s: the writes come from every event loop, and a scrape reads a sum.
 */
public final class MemoryByLifetime {

  public static final String BYTES = "tether_memory_bytes";
  public static final String HOLDERS = "tether_memory_holders";

  private final LongAdder connectionBytes = new LongAdder();
  private final LongAdder requestBytes = new LongAdder();
  private final LongAdder requests = new LongAdder();

  /** Text of {@code chars} characters queued on a socket (a frame is ASCII-escaped JSON: one byte per char). */
  public void connectionQueued(int chars) {
    connectionBytes.add(chars);
  }

  public void connectionWritten(int chars) {
    connectionBytes.add(-chars);
  }

  public void requestStarted(int bytes) {
    requests.increment();
    requestBytes.add(bytes);
  }

  public void requestEnded(int bytes) {
    requests.decrement();
    requestBytes.add(-bytes);
  }

  public long connectionBytes() {
    return connectionBytes.sum();
  }

  public long requestBytes() {
    return requestBytes.sum();
  }

  /** Registers the gauges; {@code sessionBytes}, {@code connections} and {@code sessions} are read when scraped. */
  void register(MeterRegistry registry, Supplier<Number> sessionBytes, Supplier<Number> connections,
      Supplier<Number> sessions) {
    bytes(registry, "connection", this::connectionBytes, "Text queued on client sockets, not yet written");
    bytes(registry, "session", sessionBytes, "Unacknowledged server frames held for replay");
    bytes(registry, "request", this::requestBytes, "Client request bodies awaiting a backend reply");
    holders(registry, "connection", connections);
    holders(registry, "session", sessions);
    holders(registry, "request", requests::sum);
  }

  private static void bytes(MeterRegistry registry, String lifetime, Supplier<Number> value, String what) {
    Gauge.builder(BYTES, value).tag("lifetime", lifetime).description("Buffer memory by lifetime: " + what)
        .baseUnit("bytes").register(registry);
  }

  private static void holders(MeterRegistry registry, String lifetime, Supplier<Number> value) {
    Gauge.builder(HOLDERS, value).tag("lifetime", lifetime)
        .description("Holders of buffer memory by lifetime: client sockets, sessions on this node, requests in flight")
        .register(registry);
  }
}
