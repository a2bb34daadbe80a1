package io.tether.gateway.store;

/**
 * Told of every Hazelcast operation the store issues, by kind ({@code flush}, {@code resume}, {@code sweep}, …): the
 * node exports the counts as {@code tether_store_operations_total{op}}. An interface of the store's own, so the store
 * depends on nothing above it.
 */
@FunctionalInterface
public interface OperationCounter {

  OperationCounter NONE = op -> { };

  void counted(String op);
}
