package io.tether.bench.abuse;

import io.vertx.core.Future;

/** One row of the table: a name and the attack, run while the witnesses keep their sessions busy. */
record Attack(String name, Run run) {

  @FunctionalInterface
  interface Run {
    Future<Outcome> start();
  }
}
