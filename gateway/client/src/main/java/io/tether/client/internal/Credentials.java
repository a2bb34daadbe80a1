package io.tether.client.internal;

import io.tether.client.TetherClientOptions;
import io.tether.client.TetherException;
import io.tether.protocol.ErrorCode;
import io.vertx.core.Future;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;
import java.util.function.Supplier;

/**
 * The client's credential (docs/CLIENT.md "Authentication"): the fixed token of the options, or a fresh one from the
 * token supplier for every handshake and for each {@code refresh} the server sends.
 */
final class Credentials {

  private final String fixed;
  private final Supplier<Future<String>> supplier;

  Credentials(TetherClientOptions options) {
    this.fixed = options.getToken();
    this.supplier = options.getTokenSupplier();
  }

  /** The token of a {@code hello}. */
  Future<String> forHello() {
    return supplier == null ? Future.succeededFuture(fixed) : fresh();
  }

  /**
   * The token of a {@code resume}: only with a supplier. A fixed token may have expired since the hello while the
   * session's credential has not; the server asks for one only when it has (then it refuses {@code
   * credential_expired}, and only a supplier can answer).
   */
  Future<String> forResume() {
    return supplier == null ? Future.succeededFuture() : fresh();
  }

  /**
   * The server said the credential expires soon ({@code refresh}): with a supplier, {@code send} the fresh token in
   * an {@code auth} frame if the connection is still {@code current}; a supplier that fails is reported, and the
   * session then ends at expiry unless the next refresh works.
   */
  void refresh(Consumer<String> send, BooleanSupplier current, Consumer<TetherException> problem) {
    if (supplier == null) {
      problem.accept(new TetherException(ErrorCode.UNAUTHORIZED.wire(), "the server asks for a fresh credential "
          + "and no token supplier is set (TetherClientOptions.setTokenSupplier)"));
      return;
    }
    fresh().onComplete(ar -> {
      if (ar.failed()) {
        problem.accept(new TetherException(ErrorCode.UNAUTHORIZED.wire(), "the token supplier failed: "
            + ar.cause().getMessage()));
      } else if (ar.result() != null && current.getAsBoolean()) {
        send.accept(ar.result());
      }
    });
  }

  private Future<String> fresh() {
    try {
      Future<String> f = supplier.get();
      return f == null ? Future.failedFuture(new IllegalStateException("the token supplier returned null")) : f;
    } catch (RuntimeException e) {
      return Future.failedFuture(e);
    }
  }
}
