package io.tether.gateway.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

/** The fault suite's table: a row recorded by a test that then failed reads FAIL with the failure, not PASS. */
class FaultTableTest {

  /** Verifies that a row's PASS becomes FAIL with the test's failure message, on one line, other cells unchanged. */
  @Test
  void aRowOfAFailedTestReadsFailWithTheFailure() {
    String row = FaultTable.tsv("half-open", "100 clients", "896 silenced", 100, 10406, 0, 0, 0, 0, 2412, 3266);
    assertEquals("PASS", row.substring(row.lastIndexOf('\t') + 1));
    String failed = FaultTable.failed(row, new AssertionError("noticed after 2433 ms\n(bound 2350)"));
    assertEquals(row.substring(0, row.lastIndexOf('\t')), failed.substring(0, failed.lastIndexOf('\t')));
    assertEquals("FAIL: noticed after 2433 ms (bound 2350)", failed.substring(failed.lastIndexOf('\t') + 1));
  }
}
