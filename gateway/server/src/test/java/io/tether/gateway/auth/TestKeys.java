package io.tether.gateway.auth;

import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.auth.JWTOptions;
import io.vertx.ext.auth.PubSecKeyOptions;
import io.vertx.ext.auth.jwt.JWTAuth;
import io.vertx.ext.auth.jwt.JWTAuthOptions;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.interfaces.ECPublicKey;
import java.security.interfaces.RSAPublicKey;
import java.security.spec.ECGenParameterSpec;
import java.util.Arrays;
import java.util.Base64;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * Keys and tokens for the authentication tests: key pairs made by the JDK, written as PEM / JWKS files for the node,
 * and tokens signed by vertx-auth-jwt — plus the forged ones an attacker would try ({@code alg:none}, an HS256 token
 * signed with the server's RSA public key).
 */
final class TestKeys {

  static final String SECRET = "a-test-secret-of-at-least-32-characters!";

  final KeyPair rsa;
  final KeyPair otherRsa;
  final KeyPair ec;
  final Path publicKeyPem;
  final Path jwks;

  TestKeys() {
    try {
      KeyPairGenerator r = KeyPairGenerator.getInstance("RSA");
      r.initialize(2048);
      rsa = r.generateKeyPair();
      otherRsa = r.generateKeyPair();
      KeyPairGenerator e = KeyPairGenerator.getInstance("EC");
      e.initialize(new ECGenParameterSpec("secp256r1"));
      ec = e.generateKeyPair();
      Path dir = Files.createTempDirectory("tether-keys");
      publicKeyPem = Files.writeString(dir.resolve("public.pem"), pem("PUBLIC KEY", rsa.getPublic().getEncoded()));
      jwks = Files.writeString(dir.resolve("jwks.json"), new JsonObject().put("keys", new io.vertx.core.json.JsonArray()
          .add(ecJwk("ec-1", (ECPublicKey) ec.getPublic()))).encode());
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException(e);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  static String pem(String type, byte[] der) {
    return "-----BEGIN " + type + "-----\n" + Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII))
        .encodeToString(der) + "\n-----END " + type + "-----\n";
  }

  private static JsonObject ecJwk(String kid, ECPublicKey key) {
    return new JsonObject().put("kty", "EC").put("crv", "P-256").put("alg", "ES256").put("use", "sig").put("kid", kid)
        .put("x", b64(unsigned(key.getW().getAffineX(), 32))).put("y", b64(unsigned(key.getW().getAffineY(), 32)));
  }

  static JsonObject rsaJwk(String kid, RSAPublicKey key) {
    return new JsonObject().put("kty", "RSA").put("alg", "RS256").put("use", "sig").put("kid", kid)
        .put("n", b64(unsigned(key.getModulus(), 256))).put("e", b64(unsigned(key.getPublicExponent(), 0)));
  }

  private static byte[] unsigned(BigInteger v, int length) {
    byte[] b = v.toByteArray();
    if (b.length > 1 && b[0] == 0) {
      b = Arrays.copyOfRange(b, 1, b.length);
    }
    if (length == 0 || b.length == length) {
      return b;
    }
    byte[] padded = new byte[length];
    System.arraycopy(b, 0, padded, length - b.length, b.length);
    return padded;
  }

  static String b64(byte[] b) {
    return Base64.getUrlEncoder().withoutPadding().encodeToString(b);
  }

  /** Claims of a token for {@code sub} that expires in {@code seconds}. */
  static JsonObject claims(String sub, long seconds) {
    return new JsonObject().put("sub", sub).put("exp", System.currentTimeMillis() / 1000 + seconds);
  }

  static String hs256(Vertx vertx, String secret, JsonObject claims) {
    return JWTAuth.create(vertx, new JWTAuthOptions().addPubSecKey(new PubSecKeyOptions().setAlgorithm("HS256")
        .setBuffer(secret))).generateToken(claims, new JWTOptions().setAlgorithm("HS256").setNoTimestamp(true));
  }

  static String rs256(Vertx vertx, KeyPair keys, JsonObject claims) {
    return sign(vertx, "RS256", pem("PRIVATE KEY", keys.getPrivate().getEncoded()), claims, null);
  }

  String es256(Vertx vertx, JsonObject claims) {
    return sign(vertx, "ES256", pem("PRIVATE KEY", ec.getPrivate().getEncoded()), claims, "ec-1");
  }

  private static String sign(Vertx vertx, String alg, String privatePem, JsonObject claims, String kid) {
    JWTOptions o = new JWTOptions().setAlgorithm(alg).setNoTimestamp(true);
    if (kid != null) {
      o.setHeader(new JsonObject().put("kid", kid));
    }
    return JWTAuth.create(vertx, new JWTAuthOptions().addPubSecKey(new PubSecKeyOptions().setAlgorithm(alg)
        .setBuffer(privatePem))).generateToken(claims, o);
  }

  /** An unsigned token ({@code "alg":"none"}): accepted by a verifier that trusts the header. */
  static String unsigned(JsonObject claims) {
    return b64(new JsonObject().put("alg", "none").put("typ", "JWT").encode().getBytes(StandardCharsets.UTF_8)) + "."
        + b64(claims.encode().getBytes(StandardCharsets.UTF_8)) + ".";
  }

  /** The HS/RS confusion: HS256 keyed with the server's RSA public key (PEM text), which an attacker can read. */
  String confused(JsonObject claims) {
    try {
      String signingInput = b64(new JsonObject().put("alg", "HS256").put("typ", "JWT").encode()
          .getBytes(StandardCharsets.UTF_8)) + "." + b64(claims.encode().getBytes(StandardCharsets.UTF_8));
      Mac mac = Mac.getInstance("HmacSHA256");
      mac.init(new SecretKeySpec(Files.readAllBytes(publicKeyPem), "HmacSHA256"));
      return signingInput + "." + b64(mac.doFinal(signingInput.getBytes(StandardCharsets.US_ASCII)));
    } catch (GeneralSecurityException | IOException e) {
      throw new IllegalStateException(e);
    }
  }

  /** {@code token} with its claims replaced by {@code forged} and the original signature kept. */
  static String tampered(String token, JsonObject forged) {
    String[] parts = token.split("\\.");
    return parts[0] + "." + b64(forged.encode().getBytes(StandardCharsets.UTF_8)) + "." + parts[2];
  }
}
