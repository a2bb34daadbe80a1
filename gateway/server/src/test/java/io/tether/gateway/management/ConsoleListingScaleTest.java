package io.tether.gateway.management;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tether.gateway.GatewayNode;
import io.tether.gateway.store.ClusterStore;
import io.tether.gateway.store.PresenceOp;
import io.tether.gateway.store.PresenceRecord;
import io.tether.gateway.testing.NodeExtension;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.Timeout;
import io.vertx.junit5.VertxExtension;
import io.vertx.junit5.VertxTestContext;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * GET /admin/sessions at the console's design size (docs/OPERATIONS.md "Console"): 10 000 presence records written
 * straight into the cluster map (10 000 sockets would need several processes here), 2 000 of them DETACHED. Pages of
 * 1 000 cover them once in order, the filter pages through one state, and the first and deepest pages' times are
 * printed.
 */
@ExtendWith(VertxExtension.class)
@Timeout(value = 60, timeUnit = TimeUnit.SECONDS)
class ConsoleListingScaleTest {

  private static final String KEY = "console-scale-key-0123456789";
  private static final int RECORDS = 10_000;
  private static final int DETACHED = 2_000;
  private static final int SIZE = 1_000;

  @RegisterExtension
  static final NodeExtension NODE = NodeExtension.start(o -> o.setApiKey(KEY).setConsoleMaxPageSize(SIZE));
  private static GatewayNode node;

  @BeforeAll
  static void writeRecords() {
    long start = System.currentTimeMillis();
    Set<String> online = new HashSet<>();
    Set<String> detached = new HashSet<>();
    for (int i = 0; i < RECORDS; i++) {
      (i % 5 == 0 ? detached : online).add(String.format("scale-%05d", i));
    }
    com.hazelcast.map.IMap<String, PresenceRecord> clients = node.hazelcast().getMap(ClusterStore.CLIENTS);
    long now = System.currentTimeMillis();
    clients.executeOnKeys(online, PresenceOp.ifMissing("bulk", "ONLINE", node.nodeId(), now));
    clients.executeOnKeys(detached, PresenceOp.ifMissing("bulk", "DETACHED", node.nodeId(), now));
    assertEquals(RECORDS, clients.size());
    System.out.printf("scale listing: %d presence records written in %d ms%n", RECORDS,
        System.currentTimeMillis() - start);
  }

  private static Future<JsonObject> page(Vertx vertx, String query) {
    HttpClient http = vertx.createHttpClient();
    RequestOptions options = new RequestOptions().setMethod(HttpMethod.GET).setHost("127.0.0.1")
        .setPort(node.managementPort()).setURI("/admin/sessions?" + query).putHeader("Authorization", "Bearer " + KEY);
    return http.request(options).compose(req -> req.send())
        .compose(resp -> resp.body().map(b -> {
          assertEquals(200, resp.statusCode(), b.toString());
          return b.toJsonObject();
        }))
        .eventually(http::close);
  }

  /** Pages 0..n-1, one after the other, with each page's time in ms. */
  private static Future<List<JsonObject>> pages(Vertx vertx, String query, int n, List<Long> millis) {
    List<JsonObject> out = new ArrayList<>();
    Future<Void> chain = Future.succeededFuture();
    for (int p = 0; p < n; p++) {
      int page = p;
      chain = chain.compose(v -> {
        long t0 = System.nanoTime();
        return page(vertx, "page=" + page + "&size=" + SIZE + query).map(json -> {
          millis.add((System.nanoTime() - t0) / 1_000_000);
          out.add(json);
          return null;
        });
      });
    }
    return chain.map(out);
  }

  /** Verifies that 10 pages of 1 000 list the 10 000 records once each, in clientId order. */
  @Test
  void pagesOfOneThousandCoverTenThousandRecordsOnceInOrder(Vertx vertx, VertxTestContext ctx) {
    List<Long> millis = new ArrayList<>();
    pages(vertx, "", RECORDS / SIZE, millis).map(pages -> {
      List<String> ids = new ArrayList<>();
      pages.forEach(p -> p.getJsonArray("items").forEach(i -> ids.add(((JsonObject) i).getString("clientId"))));
      assertEquals(RECORDS, ids.size());
      assertEquals(RECORDS, new HashSet<>(ids).size(), "no record twice");
      List<String> sorted = new ArrayList<>(ids);
      sorted.sort(null);
      assertEquals(sorted, ids, "clientId order across pages");
      assertEquals(RECORDS, pages.get(0).getLong("total"));
      assertEquals(RECORDS / SIZE, pages.get(0).getLong("pages"));
      System.out.printf("scale listing: %d pages of %d over %d records: first %d ms, deepest %d ms, all %d ms%n",
          pages.size(), SIZE, RECORDS, millis.get(0), millis.get(millis.size() - 1),
          millis.stream().mapToLong(Long::longValue).sum());
      return null;
    }).onComplete(ctx.succeedingThenComplete());
  }

  /** Verifies that state=DETACHED pages through the 2 000 DETACHED records only, and the counts match. */
  @Test
  void aStateFilterPagesThroughOneStateOfTenThousand(Vertx vertx, VertxTestContext ctx) {
    List<Long> millis = new ArrayList<>();
    pages(vertx, "&state=DETACHED", DETACHED / SIZE, millis).map(pages -> {
      Set<String> ids = new HashSet<>();
      pages.forEach(p -> p.getJsonArray("items").forEach(i -> {
        JsonObject rec = (JsonObject) i;
        assertEquals("DETACHED", rec.getString("state"), rec.encode());
        ids.add(rec.getString("clientId"));
      }));
      assertEquals(DETACHED, ids.size());
      JsonObject counts = pages.get(0).getJsonObject("counts");
      assertEquals(DETACHED, counts.getLong("DETACHED"));
      assertEquals(RECORDS - DETACHED, counts.getLong("ONLINE"));
      assertTrue(ids.stream().allMatch(id -> Integer.parseInt(id.substring(6)) % 5 == 0), "the DETACHED ones");
      System.out.printf("scale listing: DETACHED filter, %d pages of %d: %s ms%n", pages.size(), SIZE, millis);
      return null;
    }).onComplete(ctx.succeedingThenComplete());
  }
}
