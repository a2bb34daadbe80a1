package io.tether.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The source-level half of {@link ArchitectureTest}'s demo rule. ArchUnit reads bytecode, and javac inlines
 * compile-time constants: a header name or address taken from another package's {@code static final} field leaves
 * no trace in the demo's class file, so the bytecode rule cannot see it. The demo's sources may name no gateway package but {@code api}.
 */
class DemoSourceTest {

  private static final Path DEMO_SOURCES = Path.of("src/main/java/io/tether/gateway/demo");
  private static final Pattern OTHER_GATEWAY_PACKAGE = Pattern.compile("io\\.tether\\.gateway\\.(?!api\\b|demo\\b)\\w+");

  @Test
  void theDemoSourcesNameNoGatewayPackageButApi() throws IOException {
    List<String> found = new ArrayList<>();
    try (Stream<Path> files = Files.walk(DEMO_SOURCES)) {
      for (Path file : files.filter(f -> f.toString().endsWith(".java")).sorted().toList()) {
        List<String> lines = Files.readAllLines(file);
        for (int i = 0; i < lines.size(); i++) {
          Matcher m = OTHER_GATEWAY_PACKAGE.matcher(lines.get(i));
          if (!lines.get(i).startsWith("package ") && m.find()) {
            found.add(file.getFileName() + ":" + (i + 1) + ": " + lines.get(i).trim());
          }
        }
      }
    }
    assertEquals(List.of(), found, "the demo is written like a user's verticle: constants from io.tether.gateway.api");
  }
}
