package io.tether.gateway.transport;

import java.net.URI;
import java.net.URISyntaxException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Which browser pages may open a WebSocket on {@code /ws} (docs/PROTOCOL.md §1), judged by the handshake's
 * {@code Origin} header. A browser always sends it; other clients (the SDKs, servers, the CLI) do not, and pass.
 *
 * <ul>
 *   <li>No patterns configured: same origin only. The Origin's host and port must equal the {@code Host} header's
 *       (a Host without a port matches the Origin scheme's default port, 80 or 443, so a node behind a
 *       TLS-terminating proxy still recognises its own pages).</li>
 *   <li>Patterns: only origins that match one pass. {@code *} matches any origin; {@code https://app.example.com}
 *       exactly that one (scheme, host and port; the default port may be left out); {@code https://*.example.com}
 *       any subdomain of example.com (one or more labels), not example.com itself.</li>
 * </ul>
 * Matching ignores case. An Origin that is not {@code scheme://host[:port]} (for example {@code null}, which
 * sandboxed pages send) passes only {@code *} or a pattern equal to it.
 */
public final class OriginPolicy {

  /** One allowed origin: a scheme, a host (or a {@code *.} suffix) and a port. */
  private record Pattern(String scheme, String host, boolean subdomains, int port) {
    boolean matches(Origin o) {
      if (!scheme.equals(o.scheme) || port != o.port) {
        return false;
      }
      return subdomains ? o.host.endsWith(host) && o.host.length() > host.length() : host.equals(o.host);
    }
  }

  private record Origin(String scheme, String host, int port) {
  }

  private final boolean any;
  private final List<Pattern> patterns = new ArrayList<>();
  private final List<String> literal = new ArrayList<>();

  /** Throws {@link IllegalArgumentException} naming a pattern that is not {@code *} or {@code scheme://host[:port]}. */
  public OriginPolicy(List<String> allowedOrigins) {
    boolean star = false;
    for (String raw : allowedOrigins) {
      String p = raw.trim().toLowerCase(Locale.ROOT);
      if (p.equals("*")) {
        star = true;
      } else if (p.equals("null")) {
        literal.add(p);
      } else {
        boolean sub = p.contains("://*.");
        Origin o = parse(sub ? p.replace("://*.", "://wildcard.") : p);
        if (o == null) {
          throw new IllegalArgumentException("allowedOrigins: '" + raw + "' is not *, scheme://host[:port] or "
              + "scheme://*.domain[:port]");
        }
        patterns.add(new Pattern(o.scheme, sub ? o.host.substring("wildcard".length()) : o.host, sub, o.port));
      }
    }
    this.any = star;
  }

  /**
   * True when a handshake with this {@code Origin} header (null: none) and {@code Host} header (null: none) may
   * proceed.
   */
  public boolean allows(String originHeader, String hostHeader) {
    if (originHeader == null || any) {
      return true;
    }
    String value = originHeader.trim().toLowerCase(Locale.ROOT);
    Origin origin = parse(value);
    if (origin == null) {
      return literal.contains(value);
    }
    if (patterns.isEmpty() && literal.isEmpty()) {
      return sameOrigin(origin, hostHeader);
    }
    for (Pattern p : patterns) {
      if (p.matches(origin)) {
        return true;
      }
    }
    return false;
  }

  private static boolean sameOrigin(Origin origin, String hostHeader) {
    if (hostHeader == null || hostHeader.isBlank()) {
      return false;
    }
    String h = hostHeader.trim().toLowerCase(Locale.ROOT);
    int close = h.lastIndexOf(']');
    int colon = h.lastIndexOf(':');
    String host = h;
    int port = defaultPort(origin.scheme);
    if (colon > close) { // a port follows (for "[v6]:port", the colon after the bracket)
      host = h.substring(0, colon);
      try {
        port = Integer.parseInt(h.substring(colon + 1));
      } catch (NumberFormatException e) {
        return false;
      }
    }
    return host.equals(origin.host) && port == origin.port;
  }

  /** {@code scheme://host[:port]} with nothing after it, or null. */
  private static Origin parse(String value) {
    try {
      URI uri = new URI(value);
      String scheme = uri.getScheme();
      String host = uri.getHost();
      if (scheme == null || host == null || uri.getRawUserInfo() != null || uri.getRawQuery() != null
          || uri.getRawFragment() != null || !(uri.getRawPath() == null || uri.getRawPath().isEmpty())) {
        return null;
      }
      int port = uri.getPort() >= 0 ? uri.getPort() : defaultPort(scheme);
      return port < 0 ? null : new Origin(scheme, host, port);
    } catch (URISyntaxException e) {
      return null;
    }
  }

  private static int defaultPort(String scheme) {
    switch (scheme) {
      case "http":
      case "ws":
        return 80;
      case "https":
      case "wss":
        return 443;
      default:
        return -1;
    }
  }
}
