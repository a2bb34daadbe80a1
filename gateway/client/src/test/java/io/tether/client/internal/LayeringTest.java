package io.tether.client.internal;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import org.junit.jupiter.api.Test;

/**
 * The SDK's layering: the parts in io.tether.client.internal raise events (listeners, callbacks) and never call the
 * facade, so no class there depends on {@code TetherClientImpl}, nor on the {@code TetherClient} interface it
 * implements. The facade depends on the parts, not the other way round.
 */
class LayeringTest {

  private static final JavaClasses SDK = new ClassFileImporter()
      .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
      .importPackages("io.tether.client");

  /** Verifies that no class in the internal package depends on the client facade. */
  @Test
  void clientInternalsDoNotDependOnTheFacade() {
    noClasses().that().resideInAPackage("io.tether.client.internal..")
        .should().dependOnClassesThat().haveFullyQualifiedName("io.tether.client.TetherClientImpl")
        .orShould().dependOnClassesThat().haveFullyQualifiedName("io.tether.client.TetherClient")
        .because("parts raise events instead of calling the facade (docs/CLIENT.md \"Inside the SDK\")")
        .check(SDK);
  }

  /** Verifies that the command-line client uses the public API only. */
  @Test
  void theCliUsesThePublicApiOnly() {
    noClasses().that().resideInAPackage("io.tether.client.cli..")
        .should().dependOnClassesThat().resideInAPackage("io.tether.client.internal..")
        .check(SDK);
  }
}
