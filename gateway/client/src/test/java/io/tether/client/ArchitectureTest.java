package io.tether.client;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;

import com.tngtech.archunit.core.importer.ImportOption;
import com.tngtech.archunit.junit.AnalyzeClasses;
import com.tngtech.archunit.junit.ArchTest;
import com.tngtech.archunit.lang.ArchRule;

/** The client SDK's layering: its internals serve the facade, never call it. */
@AnalyzeClasses(packages = "io.tether.client", importOptions = ImportOption.DoNotIncludeTests.class)
class ArchitectureTest {

  /**
   * The {@code internal} package is being created (in another branch); until it exists the rule has nothing to check
   * and passes, hence {@code allowEmptyShould}. The facade is named by its class name so the test compiles whatever
   * happens to it.
   */
  @ArchTest
  static final ArchRule internalsDoNotUseTheFacade = noClasses()
      .that().resideInAPackage("io.tether.client.internal..")
      .should().dependOnClassesThat().haveNameMatching("io\\.tether\\.client\\.TetherClientImpl(\\$.*)?")
      .because("the facade (TetherClientImpl) is built on the internals; a call back would tie them in a knot")
      .allowEmptyShould(true);
}
