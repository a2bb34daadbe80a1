package io.tether.gateway.tunnel;

import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The upstreams a node's byte streams may reach ({@code --upstreams name=host:port,…}, docs/PROXY.md): a client names
 * one, never an address, so the node is no open relay. Entries are checked by {@code GatewayOptions.validate()}.
 */
public final class Upstreams {

  /** One named upstream. */
  public record Upstream(String name, String host, int port) {
  }

  private final Map<String, Upstream> byName = new HashMap<>();

  public Upstreams(List<String> entries) {
    for (String e : entries) {
      int eq = e.indexOf('=');
      int colon = e.lastIndexOf(':');
      String name = e.substring(0, eq);
      byName.put(name, new Upstream(name, e.substring(eq + 1, colon), Integer.parseInt(e.substring(colon + 1))));
    }
  }

  /** The upstream called {@code name}, or null. */
  public Upstream get(String name) {
    return byName.get(name);
  }

  public int size() {
    return byName.size();
  }
}
