package io.tether.protocol;

import java.util.List;
import java.util.regex.Pattern;

/**
 * A list of names with {@code *} wildcards (any run of characters, dots included), matched whole: the gateway's
 * allowed addresses and topics, the client's cacheable addresses. An empty list matches nothing.
 */
public final class NamePatterns {

  private final List<Pattern> patterns;

  public NamePatterns(List<String> globs) {
    this.patterns = globs.stream().map(NamePatterns::compile).toList();
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

  public boolean matches(String name) {
    for (Pattern p : patterns) {
      if (p.matcher(name).matches()) {
        return true;
      }
    }
    return false;
  }
}
