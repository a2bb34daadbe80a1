package io.tether.bench.abuse;

/**
 * What the runner attacks and what it knows of the node's configuration: its URLs and secrets, and the limits it is
 * set to, so each attack knows how far to go (a limit of 0 means "not configured": that attack is skipped).
 */
final class AbuseConfig {
  String url = "ws://127.0.0.1:8080/ws";
  String managementUrl = "http://127.0.0.1:9090";
  String jwtSecret;
  String apiKey;
  /** PEM file of the node's RSA public key, for the HS/RS confusion; null = that attack is skipped. */
  String jwtPublicKey;
  /** An Origin the node allows (sent by witnesses and attackers); null = none sent, and the Origin attack skipped. */
  String origin;
  int witnesses = 20;
  long intervalMs = 100;
  int maxFrameBytes = 65_536;
  int maxConnections;
  int maxConnectionsPerIp;
  int maxHandshakesPerIpPerSecond;
  int maxSessions;
  int maxFramesPerSecond;
  int maxRequestsPerSecond;
  int maxSubscriptions;
  int maxAttrsBytes;
  int maxAttrsKeys;
  long bufferMaxBytes;
  long nodeBufferMaxBytes;
  /** Skipped rows fail the run too (for a build with every feature merged). */
  boolean strict;
  /** How long one attack may take before it is reported as failed. */
  long attackTimeoutMs = 60_000;
}
