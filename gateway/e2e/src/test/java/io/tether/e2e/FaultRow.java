package io.tether.e2e;

import io.tether.gateway.testing.FaultTable;

/**
 * One row of the fault suite's table (docs/RELIABILITY.md, {@code scripts/faults.sh}): what was done, to how many
 * sessions, how many frames were checked at the wire, and what came out. Each fault case records one row; the script
 * prints them all as one table at the end of its run. The format and the file are {@link FaultTable}'s (shared with
 * the server module's fault tests).
 *
 * @param name the case, e.g. {@code kill -9 of the busiest node}
 * @param load the client load during the fault, e.g. {@code 200 SDK clients, push+echo+ask}
 * @param faults what was injected, e.g. {@code 1 kill -9} or {@code 412 stalls, 95 resets}
 * @param sessions sessions under test
 * @param frames reliable frames checked at the wire (seq 1..n per session), both directions
 * @param lost frames or responses acknowledged and never delivered
 * @param duplicated frames delivered twice, or requests answered twice
 * @param failedWithReason sessions that could not resume and were told why ({@code resume_failed} with a reason)
 * @param silentGaps sessions that resumed with a gap in a stream (must be 0)
 * @param p50Ms recovery time, median; -1 if not measured
 * @param p99Ms recovery time, 99th percentile; -1 if not measured
 */
record FaultRow(String name, String load, String faults, int sessions, long frames, long lost, long duplicated,
    long failedWithReason, long silentGaps, long p50Ms, long p99Ms) {

  /** Where rows go: {@code -Dtether.e2e.faultRows=FILE} (faults.sh sets it); unset, rows are only printed. */
  static final String FILE_PROPERTY = FaultTable.FILE_PROPERTY;

  /** Nothing lost, nothing duplicated, no silent gap: every failure was survived or reported. */
  boolean passed() {
    return lost == 0 && duplicated == 0 && silentGaps == 0;
  }

  String tsv() {
    return FaultTable.tsv(name, load, faults, sessions, frames, lost, duplicated, failedWithReason, silentGaps, p50Ms,
        p99Ms);
  }

  /** Prints the row and, when the suite collects rows, appends it to their file. Returns the row. */
  FaultRow record() {
    FaultTable.record(tsv());
    return this;
  }

  /**
   * The row of a {@link Workload} run: frames are the reliable frames its clients' wiretaps checked; lost are pushes
   * missing and requests never answered; duplicated are frames, pushes and responses seen twice; sessions that had to
   * re-sync were told so ({@code resume_failed}); a gap in a stream is a silent gap. Recovery: the resumes measured.
   */
  static FaultRow of(Workload.Figures f, String name, String load, String faults) {
    return new FaultRow(name, load, faults, (int) f.sessions, f.frames, f.missingPushes + f.unanswered,
        f.duplicates + f.duplicatePushes + f.duplicateResponses, f.resyncs, f.gaps, f.percentile(0.5),
        f.percentile(0.99));
  }

  /** The header of the table, matching {@link #tsv()}. */
  static final String HEADER = FaultTable.HEADER;
}
