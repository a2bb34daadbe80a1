package io.tether.protocol;

import java.util.Objects;

/**
 * A JSON value kept as its exact text. Bodies and attributes are opaque to the gateway: keeping them as text
 * means a frame is parsed once and a stored frame is replayed byte for byte (docs/PROTOCOL.md §5).
 */
public record RawJson(String json) {

  public static final RawJson NULL = new RawJson("null");
  public static final RawJson EMPTY_OBJECT = new RawJson("{}");

  public RawJson {
    Objects.requireNonNull(json, "json");
  }

  /** Wraps text that the caller guarantees is one valid JSON value (e.g. output of a JSON encoder). */
  public static RawJson of(String json) {
    return new RawJson(json);
  }

  public boolean isObject() {
    return json.startsWith("{");
  }

  @Override
  public String toString() {
    return json;
  }
}
