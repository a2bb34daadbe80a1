package io.tether.gateway.session;

import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.internal.ContextInternal;
import java.util.function.Supplier;

/** Runs work on a session's context from any thread, completing on the caller's context. */
final class OnContext {

  private OnContext() {
  }

  static <T> Future<T> run(Context ctx, Supplier<Future<T>> action) {
    Context caller = Vertx.currentContext();
    if (caller == ctx && Context.isOnEventLoopThread()) {
      return action.get();
    }
    Promise<T> p = caller == null ? Promise.promise() : ((ContextInternal) caller).promise();
    ctx.runOnContext(v -> action.get().onComplete(p));
    return p.future();
  }
}
