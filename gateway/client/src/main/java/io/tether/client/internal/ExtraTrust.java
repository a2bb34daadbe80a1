package io.tether.client.internal;

import io.vertx.core.Vertx;
import io.vertx.core.net.TrustOptions;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.util.function.Function;
import javax.net.ssl.TrustManager;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509TrustManager;

/**
 * Trust for {@code wss://}: the JVM's default authorities plus the certificates of a PEM file
 * ({@code TetherClientOptions.trustedCertPath}). Vert.x's own {@code PemTrustOptions} would replace the defaults
 * instead. Vert.x asks for the factory when it builds the TLS context, on a worker thread: the file is read there.
 */
final class ExtraTrust implements TrustOptions {

  private final String pemPath;

  ExtraTrust(String pemPath) {
    this.pemPath = pemPath;
  }

  @Override
  public TrustOptions copy() {
    return this; // immutable
  }

  @Override
  public TrustManagerFactory getTrustManagerFactory(Vertx vertx) throws Exception {
    KeyStore store = KeyStore.getInstance(KeyStore.getDefaultType());
    store.load(null, null);
    int n = 0;
    TrustManagerFactory jvm = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
    jvm.init((KeyStore) null);
    for (TrustManager tm : jvm.getTrustManagers()) {
      if (tm instanceof X509TrustManager x509) {
        for (X509Certificate ca : x509.getAcceptedIssuers()) {
          store.setCertificateEntry("jvm-" + n++, ca);
        }
      }
    }
    int own = 0;
    try (InputStream in = Files.newInputStream(Path.of(pemPath))) {
      for (Certificate c : CertificateFactory.getInstance("X.509").generateCertificates(in)) {
        store.setCertificateEntry("trusted-" + own++, c);
      }
    }
    if (own == 0) {
      throw new IllegalArgumentException("trustedCertPath " + pemPath + " holds no PEM certificate");
    }
    TrustManagerFactory factory = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
    factory.init(store);
    return factory;
  }

  @Override
  public Function<String, TrustManager[]> trustManagerMapper(Vertx vertx) {
    return null; // the same trust for every server name
  }
}
