package io.tether.protocol;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;

import com.tngtech.archunit.core.importer.ImportOption;
import com.tngtech.archunit.junit.AnalyzeClasses;
import com.tngtech.archunit.junit.ArchTest;
import com.tngtech.archunit.lang.ArchRule;

/**
 * The protocol module is the wire model both ends share (docs/ARCHITECTURE.md "Layers"): it knows neither the
 * server nor the client. This module sees only its own classes, which is all the rule needs.
 */
@AnalyzeClasses(packages = "io.tether.protocol", importOptions = ImportOption.DoNotIncludeTests.class)
class ArchitectureTest {

  @ArchTest
  static final ArchRule protocolKnowsNeitherEnd = noClasses()
      .that().resideInAPackage("io.tether.protocol..")
      .should().dependOnClassesThat().resideInAnyPackage("io.tether.gateway..", "io.tether.client..")
      .because("server and client both build on the protocol, so it cannot depend on either");
}
