package io.tether.gateway.testing;

import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import javax.management.ObjectName;

/**
 * Live objects of this JVM by class (the JDK's {@code GC.class_histogram} diagnostic command, which runs a full GC
 * first), to attribute a heap figure of a fault test: what grew between two points, largest first. Also the used
 * heap after GC, the figure the tests bound.
 */
public final class HeapHistogram {

  /** Class name → {instances, bytes}. */
  private final Map<String, long[]> classes;

  private HeapHistogram(Map<String, long[]> classes) {
    this.classes = classes;
  }

  /** Used heap after three {@code System.gc()}, the lowest reading (what is live, not what awaits collection). */
  public static long usedAfterGc() {
    MemoryMXBean memory = ManagementFactory.getMemoryMXBean();
    long used = Long.MAX_VALUE;
    for (int i = 0; i < 3; i++) {
      System.gc();
      used = Math.min(used, memory.getHeapMemoryUsage().getUsed());
    }
    return used;
  }

  /** The histogram now (after a full GC). */
  public static HeapHistogram take() {
    String text;
    try {
      text = (String) ManagementFactory.getPlatformMBeanServer().invoke(
          new ObjectName("com.sun.management:type=DiagnosticCommand"), "gcClassHistogram",
          new Object[] {new String[0]}, new String[] {String[].class.getName()});
    } catch (Exception e) {
      throw new IllegalStateException("no class histogram from this JVM: " + e, e);
    }
    Map<String, long[]> classes = new HashMap<>();
    for (String line : text.split("\n")) {
      // "   1:         12345        678900  java.lang.String (java.base@17)"
      String[] f = line.trim().split("\\s+");
      if (f.length >= 4 && f[0].endsWith(":")) {
        try {
          classes.put(f[3], new long[] {Long.parseLong(f[1]), Long.parseLong(f[2])});
        } catch (NumberFormatException e) {
          // the header or the total line
        }
      }
    }
    return new HeapHistogram(classes);
  }

  /** Live bytes of {@code className} (as the histogram names it, e.g. {@code [Ljava.lang.Object;}) now minus before. */
  public long bytesGrownSince(HeapHistogram before, String className) {
    return classes.getOrDefault(className, new long[2])[1] - before.classes.getOrDefault(className, new long[2])[1];
  }

  /** Bytes of all live objects in this histogram. */
  public long totalBytes() {
    long total = 0;
    for (long[] v : classes.values()) {
      total += v[1];
    }
    return total;
  }

  /**
   * The {@code top} classes whose live bytes grew most from {@code before} to this one, one line each ("+bytes
   * (+instances) class"), and the total growth.
   */
  public String growthSince(HeapHistogram before, int top) {
    List<Map.Entry<String, long[]>> grown = new ArrayList<>();
    for (Map.Entry<String, long[]> e : classes.entrySet()) {
      long[] was = before.classes.getOrDefault(e.getKey(), new long[2]);
      grown.add(Map.entry(e.getKey(), new long[] {e.getValue()[0] - was[0], e.getValue()[1] - was[1]}));
    }
    grown.sort((a, b) -> Long.compare(b.getValue()[1], a.getValue()[1]));
    StringBuilder out = new StringBuilder(String.format("live objects %.1f MB -> %.1f MB (%+.1f MB); grown most:%n",
        before.totalBytes() / 1e6, totalBytes() / 1e6, (totalBytes() - before.totalBytes()) / 1e6));
    for (int i = 0; i < Math.min(top, grown.size()); i++) {
      long[] d = grown.get(i).getValue();
      out.append(String.format("  %+10.3f MB %+9d  %s%n", d[1] / 1e6, d[0], grown.get(i).getKey()));
    }
    return out.toString();
  }
}
