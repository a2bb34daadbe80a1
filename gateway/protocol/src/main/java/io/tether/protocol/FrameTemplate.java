package io.tether.protocol;

/**
 * A reliable frame's text with its seq left open: {@code prefix + seq + suffix}. Whoever numbers the frame (the
 * session's owner node, or the cluster store for a detached session) fills in the seq without parsing or encoding
 * the frame again, so a frame built on one node can be numbered on another.
 */
public final class FrameTemplate {

  private final String type;
  private final String prefix;
  private final String suffix;

  private FrameTemplate(String type, String prefix, String suffix) {
    this.type = type;
    this.prefix = prefix;
    this.suffix = suffix;
  }

  /** A template as carried between nodes; {@code prefix} must end where the seq's digits go. */
  public static FrameTemplate of(String type, String prefix, String suffix) {
    if (type == null || prefix == null || suffix == null || !prefix.endsWith("\"seq\":")) {
      throw new IllegalArgumentException("not a frame template: " + prefix);
    }
    return new FrameTemplate(type, prefix, suffix);
  }

  /** The frame's text for {@code seq}. */
  public String fill(long seq) {
    // One concatenation: javac's string concat sizes the result exactly and copies each part once.
    return prefix + seq + suffix;
  }

  /** The frame's {@code type} (for metrics; the text says it too). */
  public String type() {
    return type;
  }

  public String prefix() {
    return prefix;
  }

  public String suffix() {
    return suffix;
  }

  /** Length of the filled text for a seq of {@code seqDigits} digits. */
  public int length(int seqDigits) {
    return prefix.length() + seqDigits + suffix.length();
  }

  @Override
  public String toString() {
    return prefix + "<seq>" + suffix;
  }
}
