package io.tether.client.internal;

import io.tether.client.Notification;
import io.vertx.core.json.Json;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The optional on-disk store of a client ({@link io.tether.client.TetherClientOptions#setStoreDir}): three JSON files in one directory,
 * each replaced atomically (written to a temporary file, forced to disk, renamed over the old one), so a reader finds
 * either the previous or the new version, never a torn one.
 * <ul>
 *   <li>{@value #WRITES_FILE}: queued writes not yet sent, in order: {@code {"format":1,"clientId",
 *       "writes":[{"address","body","stream"}…]}}</li>
 *   <li>{@value #SESSION_FILE}: the session and its own frames not acked yet ({@link SessionFile}); absent when
 *       there is no session</li>
 *   <li>{@value #CACHE_FILE}: the response cache, least recently used first, and the latest value of each followed
 *       topic: {@code {"format":1,"clientId","entries":[{"address","body","value","resources","receivedAt"}…],
 *       "topics":[{"topic","version","body"}…]}}</li>
 * </ul>
 * Files are created readable by their owner only (the session file holds the resume token). The methods doing I/O
 * block: {@link OfflineStore} calls them on a worker thread ({@code executeBlocking}).
 */
public final class ClientStore {

  static final String WRITES_FILE = "writes.json";
  static final String CACHE_FILE = "cache.json";
  static final String SESSION_FILE = "session.json";
  static final int FORMAT = 1;

  /**
   * A queued write as stored: the request's address and body (JSON text), and the stream it was given (0 if not
   * known): if the session file holds a request on that stream, the write was numbered and is restored from there.
   */
  public record StoredWrite(String address, String body, long stream) {
  }

  /** The files' contents as read (null: no such file). */
  record Contents(String writes, String cache, String session) {
  }

  /** The store belongs to another client id: it is neither used nor overwritten. */
  static final class ForeignStoreException extends IllegalArgumentException {
    private static final long serialVersionUID = 1L;

    ForeignStoreException(String message) {
      super(message);
    }
  }

  private final Path dir;

  ClientStore(Path dir) {
    this.dir = dir;
  }

  Path dir() {
    return dir;
  }

  /** Creates the directory if needed and reads both files. Blocking. */
  Contents read() throws IOException {
    Files.createDirectories(dir);
    return new Contents(readIfExists(dir.resolve(WRITES_FILE)), readIfExists(dir.resolve(CACHE_FILE)),
        readIfExists(dir.resolve(SESSION_FILE)));
  }

  private static String readIfExists(Path file) throws IOException {
    return Files.exists(file) ? Files.readString(file, StandardCharsets.UTF_8) : null;
  }

  /** Replaces {@code name} with {@code content} atomically. Blocking. */
  void replace(String name, String content) throws IOException {
    Files.createDirectories(dir);
    Path target = dir.resolve(name);
    Path tmp = dir.resolve(name + ".tmp");
    Files.deleteIfExists(tmp);
    try (FileChannel ch = FileChannel.open(tmp, Set.of(StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE),
        ownerOnly())) {
      ByteBuffer buf = ByteBuffer.wrap(content.getBytes(StandardCharsets.UTF_8));
      while (buf.hasRemaining()) {
        ch.write(buf);
      }
      ch.force(true);
    }
    try {
      Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    } catch (AtomicMoveNotSupportedException e) {
      Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING);
    }
  }

  /** Removes {@code name} if it exists. Blocking. */
  void delete(String name) throws IOException {
    Files.deleteIfExists(dir.resolve(name));
  }

  /** rw------- where the file system has POSIX permissions. */
  private FileAttribute<?>[] ownerOnly() {
    if (!dir.getFileSystem().supportedFileAttributeViews().contains("posix")) {
      return new FileAttribute<?>[0];
    }
    return new FileAttribute<?>[] {PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------"))};
  }

  // -- formats (built and parsed on the client's context; only the text crosses to the worker) --------------------

  static String encodeWrites(String clientId, List<StoredWrite> writes) {
    JsonArray list = new JsonArray();
    for (StoredWrite w : writes) {
      list.add(new JsonObject().put("address", w.address()).put("body", Json.decodeValue(w.body()))
          .put("stream", w.stream()));
    }
    return new JsonObject().put("format", FORMAT).put("clientId", clientId).put("writes", list).encode();
  }

  /** The stored writes, in order; throws IllegalArgumentException for a file of another client or format. */
  static List<StoredWrite> decodeWrites(String clientId, String text) {
    JsonObject root = checkedRoot(clientId, text, WRITES_FILE);
    List<StoredWrite> writes = new ArrayList<>();
    JsonArray list = root.getJsonArray("writes", new JsonArray());
    for (int i = 0; i < list.size(); i++) {
      JsonObject w = list.getJsonObject(i);
      String address = w.getString("address");
      if (address == null || address.isEmpty()) {
        throw new IllegalArgumentException(WRITES_FILE + ": write " + i + " has no address");
      }
      writes.add(new StoredWrite(address, Json.encode(w.getValue("body")), w.getLong("stream", 0L)));
    }
    return writes;
  }

  static String encodeCache(String clientId, List<ResponseCache.Entry> entries, Collection<Notification> topics) {
    JsonArray list = new JsonArray();
    for (ResponseCache.Entry e : entries) {
      JsonObject resources = new JsonObject();
      e.resources().forEach((label, json) -> resources.put(label, Json.decodeValue(json)));
      list.add(new JsonObject().put("address", e.address()).put("body", Json.decodeValue(e.canonicalBody()))
          .put("value", Json.decodeValue(e.value())).put("resources", resources).put("receivedAt", e.receivedAt()));
    }
    JsonArray topicList = new JsonArray();
    for (Notification n : topics) {
      topicList.add(new JsonObject().put("topic", n.topic()).put("version", n.version()).put("body", n.body()));
    }
    return new JsonObject().put("format", FORMAT).put("clientId", clientId).put("entries", list)
        .put("topics", topicList).encode();
  }

  /** A stored cache entry, as given back to {@link ResponseCache#put}. */
  record StoredEntry(String address, String canonicalBody, String value, Map<String, String> resources,
      long receivedAt) {
  }

  record StoredCache(List<StoredEntry> entries, List<Notification> topics) {
  }

  static StoredCache decodeCache(String clientId, String text) {
    JsonObject root = checkedRoot(clientId, text, CACHE_FILE);
    List<StoredEntry> entries = new ArrayList<>();
    JsonArray list = root.getJsonArray("entries", new JsonArray());
    for (int i = 0; i < list.size(); i++) {
      JsonObject e = list.getJsonObject(i);
      Map<String, String> resources = new LinkedHashMap<>();
      e.getJsonObject("resources", new JsonObject()).forEach(r -> resources.put(r.getKey(), Json.encode(r.getValue())));
      entries.add(new StoredEntry(e.getString("address"), ResponseCache.canonical(Json.encode(e.getValue("body"))),
          Json.encode(e.getValue("value")), resources, e.getLong("receivedAt", 0L)));
    }
    List<Notification> topics = new ArrayList<>();
    JsonArray tl = root.getJsonArray("topics", new JsonArray());
    for (int i = 0; i < tl.size(); i++) {
      JsonObject t = tl.getJsonObject(i);
      topics.add(new Notification(0, t.getString("topic"), t.getLong("version", 0L), t.getValue("body")));
    }
    return new StoredCache(entries, topics);
  }

  static JsonObject checkedRoot(String clientId, String text, String file) {
    JsonObject root = new JsonObject(text);
    if (root.getInteger("format", -1) != FORMAT) {
      throw new IllegalArgumentException(file + ": unknown format " + root.getValue("format"));
    }
    if (!clientId.equals(root.getString("clientId"))) {
      throw new ForeignStoreException(file + " belongs to client '" + root.getString("clientId")
          + "', not '" + clientId + "'");
    }
    return root;
  }
}
