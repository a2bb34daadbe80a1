package io.tether.gateway.bridge;

import java.util.List;
import java.util.regex.Pattern;

/**
 * An allowlist of names with {@code *} wildcards (any run of characters, dots included): which event-bus addresses
 * clients may call and which topics they may follow. An empty list allows nothing.
 */
public final class AddressPolicy {

  private final List<Pattern> patterns;

  public AddressPolicy(List<String> globs) {
    this.patterns = globs.stream().map(AddressPolicy::compile).toList();
  }

  private static Pattern compile(String glob) {
    StringBuilder re = new StringBuilder();
    int literalStart = 0;
    for (int i = 0; i < glob.length(); i++) {
      if (glob.charAt(i) == '*') {
        re.append(Pattern.quote(glob.substring(literalStart, i))).append(".*");
        literalStart = i + 1;
      }
    }
    re.append(Pattern.quote(glob.substring(literalStart)));
    return Pattern.compile(re.toString());
  }

  public boolean allows(String name) {
    for (Pattern p : patterns) {
      if (p.matcher(name).matches()) {
        return true;
      }
    }
    return false;
  }
}
