package io.tether.gateway.testing;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.logging.ConsoleHandler;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import java.util.logging.SimpleFormatter;

/**
 * Captures everything logged through java.util.logging at every level (the gateway's, Vert.x's, Netty's,
 * Hazelcast's and Micrometer's loggers opened to ALL) while the console keeps printing what it printed before. For
 * tests that prove what is never logged (secrets). {@link #start()} before, {@link #stop()} after.
 */
public final class LogCapture {

  /** Loggers the test configuration sets apart (src/test/resources/logging.properties): opened to ALL too. */
  private static final List<String> LOGGERS = List.of("", "io.tether", "io.vertx", "io.netty", "com.hazelcast",
      "io.micrometer");

  private final Queue<String> logged = new ConcurrentLinkedQueue<>();
  private final Handler capture = new Handler() {
    private final SimpleFormatter formatter = new SimpleFormatter();

    @Override
    public void publish(LogRecord r) {
      StringBuilder text = new StringBuilder(r.getLoggerName() + " " + formatter.format(r));
      text.append(' ').append(r.getMessage());
      if (r.getParameters() != null) {
        for (Object p : r.getParameters()) {
          text.append(' ').append(p);
        }
      }
      logged.add(text.toString());
    }

    @Override
    public void flush() {
    }

    @Override
    public void close() {
    }
  };
  /** Loggers whose level was changed (strong references keep the change) and their levels before. */
  private final Map<Logger, Level> levels = new LinkedHashMap<>();
  private final Map<Handler, Level> consoleLevels = new HashMap<>();

  public LogCapture start() {
    Logger root = Logger.getLogger("");
    for (String name : LOGGERS) {
      Logger logger = Logger.getLogger(name);
      levels.put(logger, logger.getLevel());
      logger.setLevel(Level.ALL);
    }
    for (Handler h : root.getHandlers()) {
      if (h instanceof ConsoleHandler) {
        consoleLevels.put(h, h.getLevel());
        h.setLevel(Level.INFO);
      }
    }
    capture.setLevel(Level.ALL);
    root.addHandler(capture);
    return this;
  }

  public void stop() {
    Logger.getLogger("").removeHandler(capture);
    levels.forEach(Logger::setLevel);
    consoleLevels.forEach(Handler::setLevel);
  }

  /** Every record captured so far, formatted with its parameters and stack trace. */
  public List<String> lines() {
    return new ArrayList<>(logged);
  }
}
