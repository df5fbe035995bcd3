/*
 * JDK oracle: a real in-memory TLS handshake between two SSLEngines per case, one JVM for
 * the whole batch.
 *
 * The client engine is made exactly as a Java mail client's socket would be:
 * createSSLEngine(host, 443), endpoint identification "HTTPS" (what JavaMail sets with
 * mail.<proto>.ssl.checkserveridentity=true), and a PKIX trust manager trusting only the
 * test CA.  The name check therefore runs inside X509TrustManagerImpl, which tries the SNI
 * host name first and then the peer host, so the SNI the JDK derives from the host is part
 * of the verdict.  That SNI is the JDK default for the host (none for IP literals,
 * single-label names and names with a trailing dot); a host that SNIHostName refuses
 * gets no SNI, and the detail says so.
 *
 * Usage: java -cp BUILD Oracle CA_PEM LEAF_KEY_PEM < cases.jsonl > verdicts.jsonl
 */
import java.io.BufferedReader;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStreamWriter;
import java.io.PrintWriter;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Paths;
import java.security.KeyFactory;
import java.security.KeyStore;
import java.security.Principal;
import java.security.PrivateKey;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.Base64;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import javax.net.ssl.KeyManager;
import javax.net.ssl.SNIHostName;
import javax.net.ssl.SNIServerName;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLEngineResult;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509ExtendedKeyManager;

public final class Oracle {
    private static final int MAX_ROUNDS = 200;

    /** Always presents the one leaf under test: the server side must never be the reason. */
    static final class OneKeyManager extends X509ExtendedKeyManager {
        private final X509Certificate[] chain;
        private final PrivateKey key;

        OneKeyManager(X509Certificate leaf, PrivateKey key) {
            this.chain = new X509Certificate[] {leaf};
            this.key = key;
        }

        @Override public String[] getClientAliases(String t, Principal[] i) { return null; }
        @Override public String chooseClientAlias(String[] t, Principal[] i, Socket s) { return null; }
        @Override public String[] getServerAliases(String t, Principal[] i) { return new String[] {"leaf"}; }
        @Override public String chooseServerAlias(String t, Principal[] i, Socket s) { return "leaf"; }
        @Override public String chooseEngineServerAlias(String t, Principal[] i, SSLEngine e) { return "leaf"; }
        @Override public X509Certificate[] getCertificateChain(String alias) { return chain.clone(); }
        @Override public PrivateKey getPrivateKey(String alias) { return key; }
    }

    private final SSLContext client;
    private final PrivateKey leafKey;
    private final CertificateFactory certs;
    private final Map<String, Object> servers = new HashMap<>();

    Oracle(String caPemPath, String keyPemPath) throws Exception {
        certs = CertificateFactory.getInstance("X.509");
        X509Certificate ca = (X509Certificate) certs.generateCertificate(
                new ByteArrayInputStream(Files.readAllBytes(Paths.get(caPemPath))));
        KeyStore trust = KeyStore.getInstance("PKCS12");
        trust.load(null, null);
        trust.setCertificateEntry("mailcert-test-ca", ca);
        TrustManagerFactory tmf = TrustManagerFactory.getInstance("PKIX");
        tmf.init(trust);
        client = SSLContext.getInstance("TLS");
        client.init(null, tmf.getTrustManagers(), null);

        String pem = new String(Files.readAllBytes(Paths.get(keyPemPath)), StandardCharsets.US_ASCII);
        String body = pem.replaceAll("-----[A-Z ]+-----", "").replaceAll("\\s", "");
        leafKey = KeyFactory.getInstance("EC").generatePrivate(
                new PKCS8EncodedKeySpec(Base64.getDecoder().decode(body)));
    }

    /** One server context per leaf; a leaf the JDK cannot parse is remembered as its error. */
    private Object server(String certB64) {
        return servers.computeIfAbsent(certB64, b64 -> {
            try {
                X509Certificate leaf = (X509Certificate) certs.generateCertificate(
                        new ByteArrayInputStream(Base64.getDecoder().decode(b64)));
                SSLContext ctx = SSLContext.getInstance("TLS");
                ctx.init(new KeyManager[] {new OneKeyManager(leaf, leafKey)}, null, null);
                return ctx;
            } catch (Exception e) {
                return "CertificateFactory could not parse the certificate: " + e;
            }
        });
    }

    private static void runTasks(SSLEngine engine) {
        Runnable task;
        while ((task = engine.getDelegatedTask()) != null) {
            task.run();
        }
    }

    static String rootMessage(Throwable t) {
        StringBuilder sb = new StringBuilder(t.getClass().getSimpleName() + ": " + t.getMessage());
        Throwable cause = t.getCause();
        while (cause != null && cause != t) {
            // a cause that only repeats its wrapper's message adds nothing to the detail
            if (cause.getMessage() != null && !cause.getMessage().equals(t.getMessage())) {
                sb.append(" <- ").append(cause.getClass().getSimpleName()).append(": ").append(cause.getMessage());
            }
            t = cause;
            cause = cause.getCause();
        }
        return sb.toString();
    }

    /** Returns {accepted, detail}. */
    Object[] judge(String certB64, String host) {
        Object srv = server(certB64);
        if (srv instanceof String) {
            return new Object[] {false, srv};
        }
        String sniNote;
        SSLEngine c;
        try {
            c = client.createSSLEngine(host, 443);
        } catch (Exception e) {
            return new Object[] {false, "createSSLEngine: " + rootMessage(e)};
        }
        c.setUseClientMode(true);
        SSLParameters params = c.getSSLParameters();
        params.setEndpointIdentificationAlgorithm("HTTPS");
        try {
            new SNIHostName(host);
            List<SNIServerName> names = params.getServerNames();
            sniNote = names == null || names.isEmpty()
                    ? "no SNI (JDK default for this host)"
                    : "SNI " + ((SNIHostName) names.get(0)).getAsciiName();
        } catch (IllegalArgumentException e) {
            params.setServerNames(Collections.<SNIServerName>emptyList());
            sniNote = "no SNI (SNIHostName refused the host: " + e.getMessage() + ")";
        }
        c.setSSLParameters(params);

        SSLEngine s = ((SSLContext) srv).createSSLEngine();
        s.setUseClientMode(false);

        int packet = Math.max(c.getSession().getPacketBufferSize(), s.getSession().getPacketBufferSize());
        int app = Math.max(c.getSession().getApplicationBufferSize(), s.getSession().getApplicationBufferSize());
        ByteBuffer empty = ByteBuffer.allocate(0);
        ByteBuffer cToS = ByteBuffer.allocate(packet * 4);
        ByteBuffer sToC = ByteBuffer.allocate(packet * 4);
        ByteBuffer cApp = ByteBuffer.allocate(app);
        ByteBuffer sApp = ByteBuffer.allocate(app);
        String serverError = null;
        try {
            c.beginHandshake();
            s.beginHandshake();
            for (int round = 0; round < MAX_ROUNDS; round++) {
                c.wrap(empty, cToS);
                runTasks(c);
                cToS.flip();
                if (serverError == null) {
                    try {
                        while (cToS.hasRemaining()) {
                            SSLEngineResult r = s.unwrap(cToS, sApp);
                            runTasks(s);
                            if (r.getStatus() != SSLEngineResult.Status.OK || r.bytesConsumed() == 0) break;
                        }
                        s.wrap(empty, sToC);
                        runTasks(s);
                    } catch (Exception e) {
                        serverError = rootMessage(e);
                    }
                } else {
                    cToS.clear().flip();
                }
                cToS.compact();

                sToC.flip();
                while (sToC.hasRemaining()) {
                    SSLEngineResult r = c.unwrap(sToC, cApp);
                    runTasks(c);
                    if (r.getStatus() != SSLEngineResult.Status.OK || r.bytesConsumed() == 0) break;
                }
                sToC.compact();

                boolean clientDone = c.getHandshakeStatus() == SSLEngineResult.HandshakeStatus.NOT_HANDSHAKING;
                if (clientDone && c.getSession().getPeerCertificates().length > 0
                        && (serverError != null
                            || s.getHandshakeStatus() == SSLEngineResult.HandshakeStatus.NOT_HANDSHAKING)) {
                    return new Object[] {true, "handshake completed (" + c.getSession().getProtocol() + ", " + sniNote + ")"};
                }
                if (c.isInboundDone() || c.isOutboundDone()) {
                    // A failure inside a delegated task (the trust manager's name check) is
                    // kept by the engine and thrown by the next wrap: surface it.
                    try {
                        c.wrap(empty, cToS);
                    } catch (Exception e) {
                        return new Object[] {false, rootMessage(e) + "; " + sniNote};
                    }
                    return new Object[] {false, "client closed the connection; " + sniNote
                            + (serverError != null ? "; server: " + serverError : "")};
                }
            }
            return new Object[] {false, "handshake did not complete; " + sniNote};
        } catch (Exception e) {
            return new Object[] {false, rootMessage(e) + "; " + sniNote};
        }
    }

    // --- the JSON-lines protocol, without a JSON library -----------------------------------

    static Map<String, String> parseFlatObject(String line) {
        Map<String, String> out = new HashMap<>();
        int[] pos = {line.indexOf('{') + 1};
        while (true) {
            skip(line, pos, " \t,");
            if (pos[0] >= line.length() || line.charAt(pos[0]) == '}') break;
            String key = parseString(line, pos);
            skip(line, pos, " \t:");
            String value = parseString(line, pos);
            out.put(key, value);
        }
        return out;
    }

    private static void skip(String s, int[] pos, String chars) {
        while (pos[0] < s.length() && chars.indexOf(s.charAt(pos[0])) >= 0) pos[0]++;
    }

    private static String parseString(String s, int[] pos) {
        if (s.charAt(pos[0]) != '"') throw new IllegalArgumentException("expected a string at " + pos[0]);
        StringBuilder sb = new StringBuilder();
        int i = pos[0] + 1;
        while (s.charAt(i) != '"') {
            char ch = s.charAt(i++);
            if (ch != '\\') { sb.append(ch); continue; }
            char esc = s.charAt(i++);
            switch (esc) {
                case 'b': sb.append('\b'); break;
                case 'f': sb.append('\f'); break;
                case 'n': sb.append('\n'); break;
                case 'r': sb.append('\r'); break;
                case 't': sb.append('\t'); break;
                case 'u': sb.append((char) Integer.parseInt(s.substring(i, i + 4), 16)); i += 4; break;
                default: sb.append(esc);
            }
        }
        pos[0] = i + 1;
        return sb.toString();
    }

    static String quote(String s) {
        StringBuilder sb = new StringBuilder("\"");
        for (int i = 0; i < s.length(); i++) {
            char ch = s.charAt(i);
            if (ch == '"' || ch == '\\') sb.append('\\').append(ch);
            else if (ch < 0x20 || ch > 0x7e) sb.append(String.format("\\u%04x", (int) ch));
            else sb.append(ch);
        }
        return sb.append('"').toString();
    }

    public static void main(String[] args) throws Exception {
        if (args.length != 2) {
            System.err.println("usage: Oracle CA_PEM LEAF_KEY_PEM < cases.jsonl");
            System.exit(2);
        }
        Oracle oracle = new Oracle(args[0], args[1]);
        serve(req -> oracle.judge(req.get("cert"), req.get("host")));
    }

    /** One request's verdict: {accepted (Boolean), detail}. */
    interface Judge {
        Object[] judge(Map<String, String> req) throws Exception;
    }

    /** The JSON-lines loop both Java oracles share: one flat object in, one verdict line out. */
    static void serve(Judge judge) throws IOException {
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        PrintWriter out = new PrintWriter(new OutputStreamWriter(System.out, StandardCharsets.UTF_8));
        String line;
        while ((line = in.readLine()) != null) {
            if (line.trim().isEmpty()) continue;
            String id = null;
            Object[] verdict;
            try {
                Map<String, String> req = parseFlatObject(line);
                id = req.get("id");
                verdict = judge.judge(req);
            } catch (Exception e) {
                verdict = new Object[] {false, "oracle: malformed input line: " + e};
            }
            out.println("{\"id\": " + (id == null ? "null" : quote(id)) + ", \"accepted\": " + verdict[0]
                    + ", \"detail\": " + quote(String.valueOf(verdict[1])) + "}");
            out.flush(); // a driver may wait for each verdict before it sends the next request (ChainClient)
        }
        out.flush();
    }
}
