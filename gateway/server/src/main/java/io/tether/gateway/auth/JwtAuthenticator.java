package io.tether.gateway.auth;

import io.tether.gateway.config.GatewayOptions;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.auth.JWTOptions;
import io.vertx.ext.auth.PubSecKeyOptions;
import io.vertx.ext.auth.authentication.TokenCredentials;
import io.vertx.ext.auth.jwt.JWTAuth;
import io.vertx.ext.auth.jwt.JWTAuthOptions;
import java.security.KeyFactory;
import java.security.spec.X509EncodedKeySpec;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Locale;

/**
 * Mode {@code jwt}: {@code token} is a JWT verified by vertx-auth-jwt (docs/SECURITY.md). The algorithm is pinned by
 * the configured keys: an HS256 secret accepts HS256 only, a PEM public key RS256 or ES256 (by its type), a JWKS the
 * algorithm each key names; {@code none} and a token signed for another algorithm (HS/RS confusion) find no key and
 * are refused. {@code exp} is required, {@code iss}/{@code aud} are checked when configured, and {@code sub} is the
 * clientId. An optional {@code tether} claim narrows the client: {@code {"addresses":[…],"topics":[…],"attrs":{…}}}.
 */
public final class JwtAuthenticator implements Authenticator {

  /** Clock skew tolerated on {@code exp}/{@code nbf}/{@code iat}, in seconds. */
  static final int LEEWAY_SECONDS = 5;
  /** The claim that narrows what the client may do. */
  public static final String CLAIM = "tether";

  private final JWTAuth jwt;
  private final List<String> algorithms;

  private JwtAuthenticator(JWTAuth jwt, List<String> algorithms) {
    this.jwt = jwt;
    this.algorithms = algorithms;
  }

  /** Reads the configured key files (without blocking an event loop) and builds the verifier. */
  public static Future<Authenticator> create(Vertx vertx, GatewayOptions o) {
    JWTAuthOptions options = new JWTAuthOptions();
    List<String> algorithms = new ArrayList<>();
    if (o.getJwtSecret() != null) {
      options.addPubSecKey(new PubSecKeyOptions().setAlgorithm("HS256").setBuffer(o.getJwtSecret()));
      algorithms.add("HS256");
    }
    Future<Void> keys = Future.succeededFuture();
    if (o.getJwtPublicKey() != null) {
      keys = keys.compose(v -> read(vertx, o.getJwtPublicKey()).map(pem -> {
        String alg = publicKeyAlgorithm(pem, o.getJwtPublicKey());
        options.addPubSecKey(new PubSecKeyOptions().setAlgorithm(alg).setBuffer(pem));
        algorithms.add(alg);
        return null;
      }));
    }
    if (o.getJwtJwks() != null) {
      keys = keys.compose(v -> read(vertx, o.getJwtJwks()).map(text -> {
        JsonArray list;
        try {
          list = new JsonObject(text).getJsonArray("keys");
        } catch (RuntimeException e) {
          throw new IllegalArgumentException("jwtJwks " + o.getJwtJwks() + " is not a JWKS JSON object");
        }
        if (list == null || list.isEmpty()) {
          throw new IllegalArgumentException("jwtJwks " + o.getJwtJwks() + " has no \"keys\"");
        }
        for (Object k : list) {
          JsonObject jwk = (JsonObject) k;
          if (jwk.getString("alg") == null) {
            // Pinning: a key that does not name its algorithm could be used with one it was not meant for.
            throw new IllegalArgumentException("jwtJwks: every key needs \"alg\" (kid " + jwk.getString("kid") + ")");
          }
          options.addJwk(jwk);
          algorithms.add(jwk.getString("alg"));
        }
        return null;
      }));
    }
    JWTOptions checks = new JWTOptions().setLeeway(LEEWAY_SECONDS);
    if (o.getJwtIssuer() != null) {
      checks.setIssuer(o.getJwtIssuer());
    }
    if (o.getJwtAudience() != null) {
      checks.setAudience(List.of(o.getJwtAudience()));
    }
    options.setJWTOptions(checks);
    return keys.map(v -> new JwtAuthenticator(JWTAuth.create(vertx, options), List.copyOf(algorithms)));
  }

  /** The algorithms this node accepts (for the start log). */
  public List<String> algorithms() {
    return algorithms;
  }

  @Override
  public Future<Grant> authenticate(String clientId, String token, String attrs, Peer peer) {
    if (token == null || token.isEmpty()) {
      return Future.failedFuture(new AuthRefused(AuthRefused.MISSING_TOKEN, "a token is required"));
    }
    return jwt.authenticate(new TokenCredentials(token))
        .recover(e -> Future.failedFuture(classify(e)))
        // vertx-auth-jwt keeps the verified claims in the user's attributes ("accessToken"); its principal holds the
        // raw token, which must not travel further.
        .compose(user -> grant(clientId, user.attributes().getJsonObject("accessToken", new JsonObject())));
  }

  private static Future<Grant> grant(String clientId, JsonObject claims) {
    Object exp = claims.getValue("exp");
    if (!(exp instanceof Number)) {
      return Future.failedFuture(new AuthRefused(AuthRefused.INVALID_CLAIMS, "the token has no numeric 'exp' claim"));
    }
    Object sub = claims.getValue("sub");
    if (!(sub instanceof String subject) || subject.isEmpty()) {
      return Future.failedFuture(new AuthRefused(AuthRefused.INVALID_CLAIMS, "the token has no 'sub' claim"));
    }
    if (clientId != null && !clientId.equals(subject)) {
      return Future.failedFuture(new AuthRefused(AuthRefused.WRONG_CLIENT,
          "the token's sub is not the clientId of the hello"));
    }
    JsonObject narrow;
    try {
      narrow = claims.getJsonObject(CLAIM);
      return Future.succeededFuture(new Grant(subject, ((Number) exp).longValue() * 1000,
          narrow == null ? null : Grant.strings(narrow.getJsonArray("addresses")),
          narrow == null ? null : Grant.strings(narrow.getJsonArray("topics")),
          narrow == null || narrow.getJsonObject("attrs") == null ? null : narrow.getJsonObject("attrs").encode(),
          "jwt"));
    } catch (ClassCastException e) {
      return Future.failedFuture(new AuthRefused(AuthRefused.INVALID_CLAIMS,
          "claim '" + CLAIM + "' must be {\"addresses\":[…],\"topics\":[…],\"attrs\":{…}}"));
    }
  }

  /** vertx-auth-jwt's failure, as a reason the client can act on; its message may quote the token, so it is dropped. */
  private static AuthRefused classify(Throwable e) {
    String m = String.valueOf(e.getMessage()).toLowerCase(Locale.ROOT);
    if (m.contains("expired")) {
      return new AuthRefused(AuthRefused.TOKEN_EXPIRED, "the token has expired");
    }
    if (m.contains("issuer") || m.contains("audience") || m.contains("iat") || m.contains("nbf")
        || m.contains("not before")) {
      return new AuthRefused(AuthRefused.INVALID_CLAIMS, "the token's iss, aud, nbf or iat claim is not accepted");
    }
    return new AuthRefused(AuthRefused.INVALID_TOKEN, "the token is not a valid JWT signed with an accepted key");
  }

  private static Future<String> read(Vertx vertx, String file) {
    return vertx.fileSystem().readFile(file).map(Buffer::toString)
        .recover(e -> Future.failedFuture(new IllegalArgumentException("cannot read " + file + ": " + e.getMessage())));
  }

  /** RS256 for an RSA key, ES256 for an EC key: the algorithm follows the key, never the token. */
  static String publicKeyAlgorithm(String pem, String file) {
    String base64 = pem.replaceAll("-----[A-Z ]+-----", "").replaceAll("\\s", "");
    byte[] der;
    try {
      der = Base64.getDecoder().decode(base64);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("jwtPublicKey " + file + " is not a PEM file");
    }
    for (String[] kind : new String[][] {{"RSA", "RS256"}, {"EC", "ES256"}}) {
      try {
        KeyFactory.getInstance(kind[0]).generatePublic(new X509EncodedKeySpec(der));
        return kind[1];
      } catch (Exception notThisKind) {
        // try the next kind
      }
    }
    throw new IllegalArgumentException("jwtPublicKey " + file + " is not an RSA or EC public key (PEM, BEGIN PUBLIC KEY)");
  }
}
