/**
 * The reliable-channel rules of docs/PROTOCOL.md §3, in one place for both ends of a session: the gateway's session
 * and the client SDK use the same classes. {@link io.tether.protocol.channel.InboundSequence} accepts the peer's
 * reliable frames in order and drops replays; {@link io.tether.protocol.channel.SendWindow} numbers own frames,
 * applies the peer's cumulative acks and keeps the unacknowledged frames within their bounds. Neither knows sockets,
 * timers or threads: the owner calls them from its own context.
 */
package io.tether.protocol.channel;
