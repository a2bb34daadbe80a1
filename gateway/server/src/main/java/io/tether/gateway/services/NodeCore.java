package io.tether.gateway.services;

import io.tether.gateway.config.GatewayOptions;
import io.tether.gateway.metrics.GatewayMetrics;
import io.tether.gateway.routing.Router;
import io.tether.gateway.session.LocalSessions;
import io.tether.gateway.store.ClusterStore;
import io.tether.protocol.FrameCodec;
import io.vertx.core.Vertx;

/**
 * What every service of a node shares: its Vert.x, options and identity, the cluster store, the sessions attached
 * here and the router.
 *
 * @param nodeId the node's name, as configured: in welcome/resumed frames, presence records and logs
 * @param instance this process's identity in the cluster: the node id plus a suffix unique to this start, so that
 *     a node restarted under the same name is a different owner and dispatcher than the process that died
 */
public record NodeCore(Vertx vertx, GatewayOptions options, String nodeId, String instance, ClusterStore store,
    GatewayMetrics metrics, FrameCodec codec, LocalSessions local, Router router) {
}
