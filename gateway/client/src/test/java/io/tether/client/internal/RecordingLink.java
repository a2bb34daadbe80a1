package io.tether.client.internal;

import io.vertx.core.json.JsonObject;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;

/** A {@link Link} that keeps what is written on it (a socket stand-in for the parts' tests). */
final class RecordingLink implements Link {

  private final int id;
  final List<String> texts = new CopyOnWriteArrayList<>();
  private volatile Consumer<JsonObject> onWrite = f -> { };

  RecordingLink(int id) {
    this.id = id;
  }

  RecordingLink onWrite(Consumer<JsonObject> action) {
    this.onWrite = action;
    return this;
  }

  @Override
  public int id() {
    return id;
  }

  @Override
  public void write(String text) {
    texts.add(text);
    onWrite.accept(new JsonObject(text));
  }

  List<JsonObject> frames() {
    return texts.stream().map(JsonObject::new).toList();
  }

  /** The written frames of this type. */
  List<JsonObject> frames(String type) {
    return frames().stream().filter(f -> type.equals(f.getString("type"))).toList();
  }
}
