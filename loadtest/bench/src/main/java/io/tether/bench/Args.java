package io.tether.bench;

import java.util.HashMap;
import java.util.Map;
import java.util.Set;

/**
 * Minimal {@code --name value} / {@code --flag} parser; unknown names are rejected so typos don't go unnoticed.
 * Public because the {@code rr} package's tools use it too.
 */
public final class Args {

  private final Map<String, String> values = new HashMap<>();

  private Args() {
  }

  /**
   * @param valued names that take a value
   * @param flags  names that take none
   */
  public static Args parse(String[] argv, Set<String> valued, Set<String> flags) {
    Args args = new Args();
    for (int i = 0; i < argv.length; i++) {
      String name = argv[i];
      if (flags.contains(name)) {
        args.values.put(name, "true");
      } else if (valued.contains(name) && i + 1 < argv.length) {
        args.values.put(name, argv[++i]);
      } else {
        throw new IllegalArgumentException("unknown or incomplete option: " + name);
      }
    }
    return args;
  }

  public boolean has(String name) {
    return values.containsKey(name);
  }

  public String string(String name, String fallback) {
    return values.getOrDefault(name, fallback);
  }

  public int integer(String name, int fallback) {
    String v = values.get(name);
    return v == null ? fallback : Integer.parseInt(v);
  }
}
