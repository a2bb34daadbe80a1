/**
 * The parts of the client SDK behind {@code TetherClientImpl}, the facade of {@link io.tether.client.TetherClient}.
 * Not API: public only so that the facade in {@code io.tether.client} can assemble them.
 *
 * <p>Every part is confined to the client's one Vert.x context: the facade hops onto it before calling in, and the
 * parts call each other and raise their events on it. No part knows the facade: a part tells the rest of the client
 * what happened through a listener or callback given to it when it is made (docs/CLIENT.md "Inside the SDK").
 */
package io.tether.client.internal;
