package io.tether.protocol;

import java.util.Base64;

/**
 * The base64 of byte-stream {@code data} frames (docs/PROTOCOL.md §13): RFC 4648's basic alphabet with padding, no
 * line breaks. Checked when a frame is decoded, so that a malformed one is refused as {@code bad_frame} rather than
 * failing where the bytes are used.
 */
public final class Base64Text {

  private Base64Text() {
  }

  /** True if {@code s} is padded base64 of the basic alphabet (the empty string included). */
  public static boolean isValid(String s) {
    int n = s.length();
    if (n % 4 != 0) {
      return false;
    }
    for (int i = 0; i < n; i++) {
      char c = s.charAt(i);
      boolean letter = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '+'
          || c == '/';
      if (!letter && !(c == '=' && i >= n - 2 && (i == n - 1 || s.charAt(n - 1) == '='))) {
        return false;
      }
    }
    return true;
  }

  public static String encode(byte[] bytes) {
    return Base64.getEncoder().encodeToString(bytes);
  }

  /** The bytes of valid base64 ({@link #isValid}). */
  public static byte[] decode(String s) {
    return Base64.getDecoder().decode(s);
  }

  /** Characters of the base64 of {@code bytes} bytes. */
  public static int encodedLength(int bytes) {
    return (bytes + 2) / 3 * 4;
  }
}
