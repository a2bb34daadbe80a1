package io.tether.gateway.testing;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A self-signed certificate for {@code localhost} and {@code 127.0.0.1} (PEM certificate and PKCS#8 key), made with
 * the {@code openssl} command for a test's TLS node. Call it off any event loop (it runs a process).
 */
public record SelfSignedCert(Path cert, Path key) {

  /** Makes one in {@code dir} (valid for a day, RSA 2048). */
  public static SelfSignedCert create(Path dir) throws IOException, InterruptedException {
    Path cert = dir.resolve("cert.pem");
    Path key = dir.resolve("key.pem");
    Process p = new ProcessBuilder(List.of("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes",
        "-keyout", key.toString(), "-out", cert.toString(), "-days", "1", "-subj", "/CN=localhost",
        "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1"))
        .redirectErrorStream(true).start();
    byte[] output = p.getInputStream().readAllBytes();
    if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0 || !Files.exists(cert) || !Files.exists(key)) {
      throw new IOException("openssl failed to make a test certificate: " + new String(output, StandardCharsets.UTF_8));
    }
    return new SelfSignedCert(cert, key);
  }
}
