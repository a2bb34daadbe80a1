package io.tether.bench.abuse;

import io.vertx.core.Future;
import io.vertx.core.http.HttpMethod;
import java.util.List;

/**
 * The management port without the API key and with a wrong one: reading a witness's presence
 * ({@code /admin/clients}, {@code /api/presence}), pushing to it ({@code /api/send}; a push the witness receives is
 * harm) and publishing ({@code /api/publish}). Refused = 401.
 */
final class HttpAttacks extends Attacks {

  HttpAttacks(Target target, AbuseConfig config, Jwts jwts, List<Witness> witnesses) {
    super(target, config, jwts, witnesses);
  }

  @Override
  List<Attack> attacks() {
    return List.of(new Attack("/admin and /api without the API key", () -> calls(null)),
        new Attack("/admin and /api with a wrong API key", () -> calls("wrong-" + Jwts.random(24))));
  }

  private Future<Outcome> calls(String key) {
    int tries = 4 * Math.max(5, witnesses.size());
    return count(tries, 8, i -> {
      Witness w = witness(i / 4);
      Future<Target.Answer> answer;
      switch (i % 4) {
        case 0:
          answer = target.call(HttpMethod.GET, "/admin/clients/" + w.clientId, key, null);
          break;
        case 1:
          answer = target.call(HttpMethod.GET, "/api/presence/" + w.clientId, key, null);
          break;
        case 2:
          answer = target.call(HttpMethod.POST, "/api/send", key,
              "{\"clientId\":\"" + w.clientId + "\",\"body\":{\"forged\":true}}");
          break;
        default:
          answer = target.call(HttpMethod.POST, "/api/publish", key, "{\"topic\":\"abuse/forged\",\"body\":1}");
      }
      return answer.map(a -> a.status() == 401);
    }).map(refused -> Outcome.of(tries, refused, null));
  }
}
