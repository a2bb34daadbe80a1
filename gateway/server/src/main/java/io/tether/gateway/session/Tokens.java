package io.tether.gateway.session;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.util.Base64;

/** Session ids and resume tokens: unguessable values from a CSPRNG (docs/PROTOCOL.md §2); only hashes are stored. */
public final class Tokens {

  private static final SecureRandom RANDOM = new SecureRandom();
  private static final Base64.Encoder B64 = Base64.getUrlEncoder().withoutPadding();

  private Tokens() {
  }

  /** 128 random bits, URL-safe. */
  public static String sessionId() {
    return random(16);
  }

  /** 256 random bits, URL-safe. */
  public static String resumeToken() {
    return random(32);
  }

  private static String random(int bytes) {
    byte[] b = new byte[bytes];
    RANDOM.nextBytes(b);
    return B64.encodeToString(b);
  }

  /** SHA-256 of a token: what the cluster keeps, so a store dump does not hand out live tokens. */
  public static String hash(String token) {
    try {
      MessageDigest md = MessageDigest.getInstance("SHA-256");
      return B64.encodeToString(md.digest(token.getBytes(StandardCharsets.UTF_8)));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is part of every JRE", e);
    }
  }

  /** A prefix fit for logs: enough to correlate, useless to resume. */
  public static String redact(String id) {
    return id == null ? "-" : id.substring(0, Math.min(6, id.length())) + "…";
  }
}
