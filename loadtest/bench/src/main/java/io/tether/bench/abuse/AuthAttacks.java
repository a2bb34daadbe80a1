package io.tether.bench.abuse;

import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import java.util.List;
import java.util.function.Function;

/**
 * Taking a witness's identity over the WebSocket: every hello claims a witness's clientId, so a token the node
 * wrongly accepted would replace that witness (and show as harm). Refused = {@code unauthorized} then close 1008.
 */
final class AuthAttacks extends Attacks {

  static final int POLICY = 1008;

  AuthAttacks(Target target, AbuseConfig config, Jwts jwts, List<Witness> witnesses) {
    super(target, config, jwts, witnesses);
  }

  @Override
  List<Attack> attacks() {
    return List.of(
        hello("hello as a witness, no token", id -> null),
        hello("hello as a witness, bad signature", jwts::badSignature),
        hello("hello as a witness, another HS256 secret", jwts::otherSecret),
        hello("hello as a witness, alg:none", Jwts::algNone),
        new Attack("hello as a witness, HS/RS confusion", () -> jwts.hasPublicKey()
            ? tokens(jwts::confused) : Future.succeededFuture(Outcome.skip("no --jwt-public-key: node not RS"))),
        hello("hello as a witness, expired token", jwts::expired),
        hello("hello as a witness with another client's token", id -> jwts.valid("mallory-" + id)),
        new Attack("resume a witness's session, guessed resume token", this::resume));
  }

  private Attack hello(String name, Function<String, String> token) {
    return new Attack(name, () -> tokens(token));
  }

  /** One hello per witness (at least 5), each with a token made for that witness's clientId. */
  private Future<Outcome> tokens(Function<String, String> token) {
    int tries = Math.max(5, witnesses.size());
    return count(tries, 10, i -> {
      String id = witness(i).clientId;
      return refusedWith(null, Probe.hello(id, token.apply(id)), POLICY, "unauthorized");
    }).map(refused -> Outcome.of(tries, refused, null));
  }

  /**
   * A resume of each witness's session (its real sessionId, as if it leaked) with a random resume token: half without
   * a credential, half with the attacker's own valid token. Refused = {@code resume_failed} or {@code unauthorized},
   * then 1008; the witness keeps its socket.
   */
  private Future<Outcome> resume() {
    int tries = Math.max(6, 2 * witnesses.size());
    return count(tries, 10, i -> {
      Witness w = witness(i);
      JsonObject resume = new JsonObject().put("type", "resume").put("sessionId", w.sessionId())
          .put("resumeToken", Jwts.random(32)).put("lastSeq", 0);
      if (i % 2 == 1) {
        resume.put("token", jwts.valid("mallory-" + i));
      }
      return refusedWith(null, resume, POLICY, "resume_failed", "unauthorized");
    }).map(refused -> Outcome.of(tries, refused, null));
  }
}
