package io.tether.gateway;

import static com.tngtech.archunit.base.DescribedPredicate.not;
import static com.tngtech.archunit.core.domain.JavaClass.Predicates.resideInAPackage;
import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.classes;
import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;

import com.tngtech.archunit.core.importer.ImportOption;
import com.tngtech.archunit.junit.AnalyzeClasses;
import com.tngtech.archunit.junit.ArchTest;
import com.tngtech.archunit.lang.ArchRule;

/**
 * The server's layering (docs/ARCHITECTURE.md "Layers"): the arrows that must never exist. Packages under
 * {@code io.tether.gateway}: {@code api} (public addresses, header names, backend failure catalogue), {@code config},
 * {@code metrics}, {@code auth}, {@code store}, {@code session}, {@code routing}, {@code services}, {@code bridge},
 * {@code transport}, {@code management}, {@code tunnel} (the server proxy of byte streams), {@code demo}; the root package ({@code GatewayNode}, {@code GatewayMain})
 * wires them and may use anything. Main code only: tests may reach across layers.
 *
 * <p>A rule about a package that has no classes yet fails ("failed to check any classes"): a layer the rules name
 * must exist.
 *
 * <p>ArchUnit reads bytecode, where javac has inlined compile-time constants ({@code static final} strings such as
 * addresses and header names): a use of another package's constant is invisible here. {@link DemoSourceTest} checks
 * the demo's sources for that reason.
 */
@AnalyzeClasses(packages = "io.tether.gateway", importOptions = ImportOption.DoNotIncludeTests.class)
class ArchitectureTest {

  private static final String GW = "io.tether.gateway";
  private static final String ROOT = GW;
  private static final String API = GW + ".api..";
  private static final String CONFIG = GW + ".config..";
  private static final String AUTH = GW + ".auth..";
  private static final String METRICS = GW + ".metrics..";
  private static final String STORE = GW + ".store..";
  private static final String SESSION = GW + ".session..";
  private static final String ROUTING = GW + ".routing..";
  private static final String SERVICES = GW + ".services..";
  private static final String BRIDGE = GW + ".bridge..";
  private static final String TRANSPORT = GW + ".transport..";
  private static final String MANAGEMENT = GW + ".management..";
  private static final String DEMO = GW + ".demo..";
  private static final String TUNNEL = GW + ".tunnel..";

  @ArchTest
  static final ArchRule sessionDoesNotKnowTheLayersThatUseIt = noClasses()
      .that().resideInAPackage(SESSION)
      .should().dependOnClassesThat().resideInAnyPackage(ROUTING, SERVICES, BRIDGE, TRANSPORT, MANAGEMENT, DEMO)
      .because("sessions are used by routing, services, the bridge and transport, never the other way round");

  @ArchTest
  static final ArchRule tunnelsAreUsedByServicesOnly = noClasses()
      .that().resideInAPackage(TUNNEL)
      .should().dependOnClassesThat().resideInAnyPackage(SERVICES, BRIDGE, TRANSPORT, MANAGEMENT, DEMO, STORE, AUTH)
      .because("the server proxy relays byte streams through sessions and the router; the services wire it in");

  @ArchTest
  static final ArchRule storeDependsOnNothingAboveIt = noClasses()
      .that().resideInAPackage(STORE)
      .should().dependOnClassesThat().resideInAnyPackage(ROOT, API, AUTH, SESSION, ROUTING, SERVICES, BRIDGE,
          TRANSPORT, MANAGEMENT, METRICS, DEMO, TUNNEL)
      .because("the store is the bottom layer: it may use config and the protocol module only");

  @ArchTest
  static final ArchRule authKnowsOnlyConfigAndTheProtocol = noClasses()
      .that().resideInAPackage(AUTH)
      .should().dependOnClassesThat().resideInAnyPackage(ROOT, STORE, SESSION, ROUTING, SERVICES, BRIDGE, TRANSPORT,
          MANAGEMENT, METRICS, DEMO)
      .because("authentication checks credentials; the layers above decide what to do with the answer");

  @ArchTest
  static final ArchRule demoUsesOnlyThePublicApi = classes()
      .that().resideInAPackage(DEMO)
      .should().onlyDependOnClassesThat().resideInAnyPackage(DEMO, API, "io.tether.protocol..", "io.vertx..", "java..")
      .because("the demo backend is written like a user's verticle: event-bus addresses and headers from api only");

  @ArchTest
  static final ArchRule apiDependsOnNoOtherGatewayPackage = noClasses()
      .that().resideInAPackage(API)
      .should().dependOnClassesThat(resideInAPackage(GW + "..").and(not(resideInAPackage(API))))
      .because("api is what backends compile against: constants and types only");

  @ArchTest
  static final ArchRule metricsAndConfigDoNotKnowTheLayersThatUseThem = noClasses()
      .that().resideInAnyPackage(METRICS, CONFIG)
      .should().dependOnClassesThat().resideInAnyPackage(SESSION, ROUTING, SERVICES, BRIDGE, TRANSPORT, MANAGEMENT,
          DEMO)
      .because("every layer reads its options and records its metrics; neither may call back into a layer");

  @ArchTest
  static final ArchRule serverPackagesAreFreeOfCycles = slices()
      .matching(GW + ".(*)..")
      .should().beFreeOfCycles();
}
