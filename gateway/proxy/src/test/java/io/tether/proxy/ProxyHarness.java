package io.tether.proxy;

import io.vertx.core.Vertx;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** Starting a {@link Proxy} from a test thread, and reading test output. */
final class ProxyHarness {

  private ProxyHarness() {
  }

  /** Starts a proxy on a context of {@code vertx} (as {@link ProxyMain} does) and waits until it listens. */
  static Proxy start(Vertx vertx, ProxyOptions options) throws Exception {
    java.util.concurrent.CompletableFuture<Proxy> started = new java.util.concurrent.CompletableFuture<>();
    vertx.runOnContext(v -> new Proxy(vertx, options.validate()).start().onComplete(ar -> {
      if (ar.succeeded()) {
        started.complete(ar.result());
      } else {
        started.completeExceptionally(ar.cause());
      }
    }));
    return started.get(10, TimeUnit.SECONDS);
  }

  /** "N: expected 'X', got 'Y'" for the first line that differs (long lines cut), or "none". */
  static String firstDifference(List<String> got, List<String> expected) {
    for (int i = 0; i < Math.min(got.size(), expected.size()); i++) {
      if (!got.get(i).equals(expected.get(i))) {
        String g = got.get(i);
        String e = expected.get(i);
        return i + ": expected '" + (e.length() > 60 ? e.substring(0, 60) + "…" : e) + "', got '"
            + (g.length() > 60 ? g.substring(0, 60) + "…" : g) + "'";
      }
    }
    return "none";
  }
}
