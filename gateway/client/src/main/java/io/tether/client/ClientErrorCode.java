package io.tether.client;

import io.tether.protocol.ErrorCode;

/**
 * The error codes the SDK reports for conditions it detects itself ({@link TetherException#isRemote()} false), the
 * SDK's side of the catalogue whose wire side is the protocol's {@link ErrorCode}. Listed in docs/CLIENT.md
 * ("Error codes").
 *
 * <p>For a few conditions the SDK reuses the protocol's code with the same meaning instead of inventing one:
 * {@link ErrorCode#OVERFLOW} (outbound buffer full), {@link ErrorCode#TIMEOUT} (no response in time),
 * {@link ErrorCode#TOO_LARGE} (frame above {@code maxFrameBytes}), {@link ErrorCode#BAD_FRAME} and
 * {@link ErrorCode#NOT_ALLOWED} (the server broke the protocol: reported to the exception handler),
 * {@link ErrorCode#NO_HANDLER} and {@link ErrorCode#BACKEND_ERROR} (in answers to server requests). A code is in
 * exactly one of the two catalogues.
 */
public enum ClientErrorCode {
  /** The client was closed ({@link TetherClient#close()} or a server {@code bye}); nothing more can be sent. */
  CLIENT_CLOSED("client_closed"),
  /** The client is {@link ConnectionState#OFFLINE}: call {@link TetherClient#connect()} first. */
  NOT_CONNECTED("not_connected"),
  /** Connecting failed (network, handshake timeout, handshake refused, or reconnect attempts exhausted). */
  CONNECT_FAILED("connect_failed"),
  /** The session was lost after the request had been sent: whether the server acted on it is unknown. */
  SESSION_LOST("session_lost"),
  /** The server ended the session ({@code bye} with a reason such as {@code replaced}). */
  SESSION_ENDED("session_ended"),
  /** The request queue is full ({@code maxQueuedRequests}, {@code maxQueuedBytes}). */
  QUEUE_FULL("queue_full"),
  /** The prefetch table is full ({@code prefetch.maxEntries}): {@link TetherClient#prefetch} declared one too many. */
  PREFETCH_FULL("prefetch_full"),
  /** The on-disk store cannot be read or written, or belongs to another client id (reported, never a call's outcome). */
  STORE_FAILED("store_failed"),
  /** No code is known: a server error that carried none, or a failure that is not a {@link TetherException}. */
  UNKNOWN("error");

  private final String code;

  ClientErrorCode(String code) {
    this.code = code;
  }

  /** The code as {@link TetherException#code()} gives it. */
  public String code() {
    return code;
  }

  /** The client code with this text, or null (a protocol code, or one this version does not know). */
  public static ClientErrorCode fromCode(String code) {
    for (ClientErrorCode c : values()) {
      if (c.code.equals(code)) {
        return c;
      }
    }
    return null;
  }
}
