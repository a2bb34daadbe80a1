package io.tether.bench.abuse;

import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.SecureRandom;
import java.util.Base64;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * The tokens of the abuse run: valid HS256 tokens (the witnesses' and the attackers' own), and the forgeries an
 * attacker tries. Signing uses the JDK's HMAC ({@code javax.crypto.Mac}); a forgery is built by hand on purpose.
 */
final class Jwts {

  private static final SecureRandom RANDOM = new SecureRandom();

  private final byte[] secret;
  /** The node's RSA public key as PEM text (public knowledge): the HS/RS confusion keys an HMAC with it. */
  private final String publicKeyPem;

  Jwts(String secret, String publicKeyPem) {
    this.secret = secret.getBytes(StandardCharsets.UTF_8);
    this.publicKeyPem = publicKeyPem;
  }

  boolean hasPublicKey() {
    return publicKeyPem != null;
  }

  static JsonObject claims(String sub, long seconds) {
    return new JsonObject().put("sub", sub).put("exp", System.currentTimeMillis() / 1000 + seconds);
  }

  /** A valid HS256 token for {@code sub}, good for an hour. */
  String valid(String sub) {
    return hs256(secret, claims(sub, 3600));
  }

  String expired(String sub) {
    return hs256(secret, claims(sub, -600));
  }

  /** A token signed for another subject with its claims replaced: the signature no longer matches. */
  String badSignature(String sub) {
    String[] parts = valid("someone-else").split("\\.");
    return parts[0] + "." + b64(claims(sub, 3600).encode().getBytes(StandardCharsets.UTF_8)) + "." + parts[2];
  }

  /** Signed with a secret the node does not have. */
  String otherSecret(String sub) {
    return hs256(("not-the-secret-" + random(24)).getBytes(StandardCharsets.UTF_8), claims(sub, 3600));
  }

  static String algNone(String sub) {
    return b64(new JsonObject().put("alg", "none").put("typ", "JWT").encode().getBytes(StandardCharsets.UTF_8))
        + "." + b64(claims(sub, 3600).encode().getBytes(StandardCharsets.UTF_8)) + ".";
  }

  /** HS256 keyed with the node's RSA public key (PEM text): accepted by a verifier that lets the token pick alg. */
  String confused(String sub) {
    return hs256(publicKeyPem.getBytes(StandardCharsets.US_ASCII), claims(sub, 3600));
  }

  private static String hs256(byte[] key, JsonObject claims) {
    String input = b64(new JsonObject().put("alg", "HS256").put("typ", "JWT").encode()
        .getBytes(StandardCharsets.UTF_8)) + "." + b64(claims.encode().getBytes(StandardCharsets.UTF_8));
    try {
      Mac mac = Mac.getInstance("HmacSHA256");
      mac.init(new SecretKeySpec(key, "HmacSHA256"));
      return input + "." + b64(mac.doFinal(input.getBytes(StandardCharsets.US_ASCII)));
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException(e);
    }
  }

  static String b64(byte[] b) {
    return Base64.getUrlEncoder().withoutPadding().encodeToString(b);
  }

  /** {@code n} random bytes as URL-safe base64 (secrets, keys, guessed resume tokens). */
  static String random(int n) {
    byte[] b = new byte[n];
    RANDOM.nextBytes(b);
    return b64(b);
  }

  /** Writes a fresh RSA public key (PEM) to {@code file}: the node is started with it next to its HS256 secret. */
  static void writeRsaPublicKey(Path file) throws IOException, GeneralSecurityException {
    KeyPairGenerator g = KeyPairGenerator.getInstance("RSA");
    g.initialize(2048);
    KeyPair pair = g.generateKeyPair();
    String pem = "-----BEGIN PUBLIC KEY-----\n" + Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII))
        .encodeToString(pair.getPublic().getEncoded()) + "\n-----END PUBLIC KEY-----\n";
    Files.writeString(file, pem);
    try {
      Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-r--r--"));
    } catch (UnsupportedOperationException notPosix) {
      // fine: a public key
    }
  }
}
