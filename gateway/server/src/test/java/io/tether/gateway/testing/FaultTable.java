package io.tether.gateway.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.extension.AfterTestExecutionCallback;
import org.junit.jupiter.api.extension.BeforeTestExecutionCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * Writes the rows of the fault suite's table (docs/RELIABILITY.md, {@code scripts/faults.sh}), for fault cases in
 * any module: the e2e module's {@code FaultRow} and the server module's fault tests (malformed input, churn) both
 * write through here, so the table has one format.
 *
 * <p>A fault test class registers {@link Rows}: its rows are then written when the test method ends, with the
 * verdict of the whole test (a case that recorded "nothing lost" and then failed another of its checks — a detection
 * bound, a presence mismatch — reads FAIL with the failure, not PASS), and a test that fails before recording a row
 * still leaves a FAIL row, so the table never hides a failed case.
 */
public final class FaultTable {

  /** Where rows go: {@code -Dtether.e2e.faultRows=FILE} (faults.sh sets it); unset, rows are only printed. */
  public static final String FILE_PROPERTY = "tether.e2e.faultRows";

  /** {@code fast} (mvn verify, CI) or {@code full} (scripts/faults.sh): {@code -Dtether.e2e.faults}. */
  public static final String MODE_PROPERTY = "tether.e2e.faults";

  /** The table's columns, in order. */
  public static final String HEADER = String.join("\t", "case", "load", "faults injected", "sessions",
      "frames checked", "lost", "duplicated", "failed with reason", "silent gaps", "recovery p50 ms",
      "recovery p99 ms", "verdict");

  private FaultTable() {
  }

  /** True when the suite runs its cases at full length ({@code -Dtether.e2e.faults=full}); default fast. */
  public static boolean fullMode() {
    return "full".equals(System.getProperty(MODE_PROPERTY, "fast"));
  }

  /** One row as tab-separated cells: the columns of {@link #HEADER}, verdict PASS when nothing lost or gapped. */
  public static String tsv(String name, String load, String faults, int sessions, long frames, long lost,
      long duplicated, long failedWithReason, long silentGaps, long p50Ms, long p99Ms) {
    boolean passed = lost == 0 && duplicated == 0 && silentGaps == 0;
    return String.join("\t", name, load, faults, Integer.toString(sessions), Long.toString(frames),
        Long.toString(lost), Long.toString(duplicated), Long.toString(failedWithReason), Long.toString(silentGaps),
        ms(p50Ms), ms(p99Ms), passed ? "PASS" : "FAIL");
  }

  private static String ms(long v) {
    return v < 0 ? "-" : Long.toString(v);
  }

  /** Rows recorded by the running test method while {@link Rows} watches it (null: none watches). */
  private static List<String> pending;

  /**
   * Records a row: printed ({@code FAULT a|b|…}) and, when the suite collects rows, appended to their file — at once,
   * or when the test method ends if {@link Rows} watches it.
   */
  public static synchronized void record(String tsv) {
    if (pending != null) {
      pending.add(tsv);
    } else {
      write(tsv);
    }
  }

  private static void write(String tsv) {
    System.out.println("FAULT " + tsv.replace('\t', '|'));
    String file = System.getProperty(FILE_PROPERTY);
    if (file != null && !file.isBlank()) {
      try {
        Files.writeString(Path.of(file), tsv + "\n", StandardCharsets.UTF_8, StandardOpenOption.CREATE,
            StandardOpenOption.APPEND);
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
  }

  /** The row with its verdict replaced by a failure of the test that recorded it. */
  public static String failed(String tsv, Throwable failure) {
    String reason = String.valueOf(failure.getMessage()).replaceAll("\\s+", " ");
    return tsv.substring(0, tsv.lastIndexOf('\t') + 1) + "FAIL: "
        + (reason.length() > 160 ? reason.substring(0, 160) + "…" : reason);
  }

  /** Holds a test method's rows until it ends, then writes them with the test's verdict (see the class comment). */
  public static final class Rows implements BeforeTestExecutionCallback, AfterTestExecutionCallback {

    @Override
    public void beforeTestExecution(ExtensionContext context) {
      synchronized (FaultTable.class) {
        pending = new ArrayList<>();
      }
    }

    @Override
    public void afterTestExecution(ExtensionContext context) {
      List<String> rows;
      synchronized (FaultTable.class) {
        rows = pending;
        pending = null;
      }
      Optional<Throwable> failure = context.getExecutionException();
      if (failure.isPresent() && rows.isEmpty()) {
        rows.add(tsv(context.getRequiredTestClass().getSimpleName() + "." + context.getRequiredTestMethod().getName(),
            "-", "-", 0, 0, 0, 0, 0, 0, -1, -1));
      }
      for (String row : rows) {
        write(failure.isPresent() ? failed(row, failure.get()) : row);
      }
    }
  }
}
