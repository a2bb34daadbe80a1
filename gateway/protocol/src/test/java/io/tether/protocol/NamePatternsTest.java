package io.tether.protocol;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

/** Name patterns with {@code *} wildcards, matched whole (allowed addresses and topics, cacheable addresses). */
class NamePatternsTest {

  /** Verifies that a wildcard matches any run of characters, dots and slashes included, and nothing else does. */
  @Test
  void wildcardMatchesAnyRunAndTheRestIsLiteral() {
    NamePatterns p = new NamePatterns(List.of("demo.*", "prices/*/eu", "exact.name"));
    assertTrue(p.matches("demo.echo"));
    assertTrue(p.matches("demo.a.b"));
    assertTrue(p.matches("prices/x/y/eu"));
    assertTrue(p.matches("exact.name"));
    assertFalse(p.matches("demo"), "the dot is literal");
    assertFalse(p.matches("exactXname"), "a dot is not a regex wildcard");
    assertFalse(p.matches("exact.name.more"), "matched whole");
  }

  /** Verifies that an empty list matches nothing. */
  @Test
  void emptyListMatchesNothing() {
    assertFalse(new NamePatterns(List.of()).matches("anything"));
  }
}
