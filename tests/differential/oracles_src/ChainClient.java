/*
 * JDK whole-chain oracle by real handshake: a JSSE client connects to each chain of the corpus
 * served on loopback (chain_jsse.py serves them and drives this program); one JVM for all cases.
 *
 * The client is made as a Java mail client makes its socket: an SSLContext("TLS") whose only
 * trust manager comes from TrustManagerFactory("PKIX") initialised with a KeyStore holding the
 * case's anchors (trusted-certificate entries), no key manager, the JDK's default protocols,
 * cipher suites and algorithm constraints; SSLSocketFactory.createSocket(plain socket to
 * 127.0.0.1:port, typed name, port, true), so the typed name is the peer host: the JDK's own SNI
 * for it (none for an IP address or a name SNIHostName refuses) and endpoint identification
 * "HTTPS" (what JavaMail sets with mail.<proto>.ssl.checkserveridentity=true) against it.
 * Validation is at the real clock: the chain corpus is built around the current day.
 * With MAILCERT_JSSE_TRUST=default in its environment the trust manager is the JDK's default
 * one instead (TrustManagerFactory.init((KeyStore) null): javax.net.ssl.trustStore, else the
 * JDK's lib/security/cacerts), as a mail client that sets no trust store of its own has it.
 *
 * Request lines (stdin, flat JSON): {"id", "host", "port", "roots": space-separated base64 DER}
 * Verdict lines (stdout): {"id", "accepted", "detail"} - accepted when startHandshake returns.
 *
 * Usage: java -cp BUILD ChainClient
 */

import java.io.ByteArrayInputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.security.KeyStore;
import java.security.cert.CertificateFactory;
import java.util.Base64;
import java.util.Map;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManagerFactory;

public final class ChainClient {
    private static final int TIMEOUT_MS = 20000;
    private static final boolean DEFAULT_TRUST = "default".equals(System.getenv("MAILCERT_JSSE_TRUST"));

    private final CertificateFactory factory;

    ChainClient() throws Exception {
        factory = CertificateFactory.getInstance("X.509");
    }

    /** The case's anchors as a KeyStore of trusted certificates; one the JDK cannot read is left out. */
    private KeyStore anchors(String field) throws Exception {
        KeyStore store = KeyStore.getInstance("PKCS12");
        store.load(null, null);
        int n = 0;
        for (String b64 : field.trim().split(" +")) {
            if (b64.isEmpty()) continue;
            try {
                store.setCertificateEntry("anchor-" + n++, factory.generateCertificate(
                        new ByteArrayInputStream(Base64.getDecoder().decode(b64))));
            } catch (Exception e) {
                // a keystore could not hold it either
            }
        }
        return store;
    }

    /** Returns {accepted, detail}. */
    Object[] judge(Map<String, String> req) throws Exception {
        String host = req.get("host");
        TrustManagerFactory tmf = TrustManagerFactory.getInstance("PKIX");
        tmf.init(DEFAULT_TRUST ? null : anchors(req.get("roots")));
        SSLContext context = SSLContext.getInstance("TLS");
        context.init(null, tmf.getTrustManagers(), null);
        int port = Integer.parseInt(req.get("port"));
        Socket plain = new Socket();
        plain.connect(new InetSocketAddress("127.0.0.1", port), TIMEOUT_MS);
        plain.setSoTimeout(TIMEOUT_MS);
        try (SSLSocket socket = (SSLSocket) context.getSocketFactory().createSocket(plain, host, port, true)) {
            SSLParameters params = socket.getSSLParameters();
            params.setEndpointIdentificationAlgorithm("HTTPS");
            socket.setSSLParameters(params);
            socket.startHandshake();
            return new Object[] {true, "handshake completed (" + socket.getSession().getProtocol() + ")"};
        } catch (Exception e) {
            return new Object[] {false, Oracle.rootMessage(e)};
        }
    }

    public static void main(String[] args) throws Exception {
        ChainClient client = new ChainClient();
        Oracle.serve(client::judge);
    }
}
