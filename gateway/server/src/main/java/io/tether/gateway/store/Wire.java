package io.tether.gateway.store;

import com.hazelcast.nio.ObjectDataInput;
import com.hazelcast.nio.ObjectDataOutput;
import java.io.IOException;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/** Serialization helpers shared by the cluster records and entry processors (compact, no reflection). */
final class Wire {

  private Wire() {
  }

  /**
   * One shared instance per distinct value, for strings drawn from a small fixed set (node ids, presence states)
   * that every deserialized record would otherwise carry its own copy of.
   */
  static String canonical(String s) {
    return s == null ? null : s.intern();
  }

  static void writeFrames(ObjectDataOutput out, Collection<StoredFrame> frames) throws IOException {
    out.writeInt(frames.size());
    for (StoredFrame f : frames) {
      out.writeLong(f.seq());
      out.writeString(f.text());
    }
  }

  static ArrayDeque<StoredFrame> readFrames(ObjectDataInput in) throws IOException {
    int n = in.readInt();
    ArrayDeque<StoredFrame> frames = new ArrayDeque<>(Math.max(n, 4));
    for (int i = 0; i < n; i++) {
      frames.add(new StoredFrame(in.readLong(), in.readString()));
    }
    return frames;
  }

  static void writeVersions(ObjectDataOutput out, Map<String, Long> map) throws IOException {
    out.writeInt(map == null ? -1 : map.size());
    if (map != null) {
      for (Map.Entry<String, Long> e : map.entrySet()) {
        out.writeString(e.getKey());
        out.writeLong(e.getValue());
      }
    }
  }

  static Map<String, Long> readVersions(ObjectDataInput in) throws IOException {
    int n = in.readInt();
    if (n < 0) {
      return null;
    }
    // Insertion order kept: the send-id memory evicts its oldest entries.
    Map<String, Long> map = new java.util.LinkedHashMap<>(Math.max(4, n * 2));
    for (int i = 0; i < n; i++) {
      map.put(in.readString(), in.readLong());
    }
    return map;
  }

  static void writeRequests(ObjectDataOutput out, Collection<PendingRequest> requests) throws IOException {
    out.writeInt(requests == null ? -1 : requests.size());
    if (requests != null) {
      for (PendingRequest r : requests) {
        out.writeLong(r.seq());
        out.writeLong(r.stream());
        out.writeString(r.address());
        out.writeString(r.body());
        out.writeString(r.node());
      }
    }
  }

  static List<PendingRequest> readRequests(ObjectDataInput in) throws IOException {
    int n = in.readInt();
    if (n < 0) {
      return null;
    }
    List<PendingRequest> list = new ArrayList<>(n);
    for (int i = 0; i < n; i++) {
      list.add(new PendingRequest(in.readLong(), in.readLong(), in.readString(), in.readString(),
          canonical(in.readString())));
    }
    return list;
  }

  static void writeStrings(ObjectDataOutput out, Collection<String> strings) throws IOException {
    out.writeInt(strings == null ? -1 : strings.size());
    if (strings != null) {
      for (String s : strings) {
        out.writeString(s);
      }
    }
  }

  static List<String> readStrings(ObjectDataInput in) throws IOException {
    int n = in.readInt();
    if (n < 0) {
      return null;
    }
    List<String> list = new ArrayList<>(n);
    for (int i = 0; i < n; i++) {
      list.add(in.readString());
    }
    return list;
  }

  static void writeLongs(ObjectDataOutput out, Collection<Long> longs) throws IOException {
    out.writeInt(longs == null ? -1 : longs.size());
    if (longs != null) {
      for (long l : longs) {
        out.writeLong(l);
      }
    }
  }

  static List<Long> readLongs(ObjectDataInput in) throws IOException {
    int n = in.readInt();
    if (n < 0) {
      return null;
    }
    List<Long> list = new ArrayList<>(n);
    for (int i = 0; i < n; i++) {
      list.add(in.readLong());
    }
    return list;
  }
}
