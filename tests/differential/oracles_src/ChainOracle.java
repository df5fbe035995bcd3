/*
 * JDK whole-chain oracle: the JDK's own X509ExtendedTrustManager.checkServerTrusted(chain,
 * authType, SSLEngine), one JVM for the whole batch.
 *
 * The trust manager is what a Java mail client gets from TrustManagerFactory("PKIX") -
 * X509TrustManagerImpl over the PKIXValidator - initialised with CertPathTrustManagerParameters
 * holding PKIXBuilderParameters with the case's anchors, the case's validation time
 * (setDate) and revocation off.  authType is "UNKNOWN", what a TLS 1.3 handshake passes.
 *
 * checkServerTrusted with an SSLEngine reads the handshake session (peer host, protocol,
 * signature schemes) and the engine's SSLParameters (endpoint identification).  Without the
 * leaf's private key there is no handshake, so the engine given here is a stand-in that
 * answers those questions as a TLS 1.3 client engine would mid-handshake: peer host = the typed
 * name, protocol TLSv1.3, no SNI (the JDK then checks the peer host, as it does after trying the
 * SNI name, which is the same name), and endpoint identification "HTTPS" (the java profile and
 * JavaMail's checkserveridentity) or, for an empty host, none (the chain alone: how Jakarta
 * Mail's default uses it; Jakarta matches names itself).  Everything that decides - path building, validation,
 * algorithm constraints, the EKU checks of EndEntityChecker, HostnameChecker - is the JDK's.
 *
 * Usage: java -cp BUILD ChainOracle < requests.jsonl > verdicts.jsonl
 * (request and verdict lines: tests/differential/oracles.py run_chain_oracle)
 */

import java.io.ByteArrayInputStream;
import java.nio.ByteBuffer;
import java.security.Principal;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.security.cert.PKIXBuilderParameters;
import java.security.cert.TrustAnchor;
import java.security.cert.X509CertSelector;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collections;
import java.util.Date;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import javax.net.ssl.CertPathTrustManagerParameters;
import javax.net.ssl.ExtendedSSLSession;
import javax.net.ssl.SNIServerName;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLEngineResult;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSession;
import javax.net.ssl.SSLSessionContext;
import javax.net.ssl.TrustManager;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509ExtendedTrustManager;

public final class ChainOracle {
    // What a JDK 17 client offers in signature_algorithms_cert (SignatureScheme's defaults).
    private static final String[] CLIENT_SIGNATURE_SCHEMES = {
        "SHA256withECDSA", "SHA384withECDSA", "SHA512withECDSA", "Ed25519", "Ed448",
        "RSASSA-PSS", "SHA256withRSA", "SHA384withRSA", "SHA512withRSA", "SHA256withDSA",
        "SHA224withECDSA", "SHA224withRSA", "SHA224withDSA", "SHA1withECDSA", "SHA1withRSA", "SHA1withDSA",
    };

    /** A TLS 1.3 client's handshake session as the trust manager sees it mid-handshake. */
    static final class HandshakeSession extends ExtendedSSLSession {
        private final String peerHost;

        HandshakeSession(String peerHost) { this.peerHost = peerHost; }

        @Override public String[] getLocalSupportedSignatureAlgorithms() { return CLIENT_SIGNATURE_SCHEMES.clone(); }
        @Override public String[] getPeerSupportedSignatureAlgorithms() { return CLIENT_SIGNATURE_SCHEMES.clone(); }
        @Override public List<SNIServerName> getRequestedServerNames() { return Collections.emptyList(); }
        @Override public List<byte[]> getStatusResponses() { return Collections.emptyList(); }
        @Override public byte[] getId() { return new byte[0]; }
        @Override public SSLSessionContext getSessionContext() { return null; }
        @Override public long getCreationTime() { return 0; }
        @Override public long getLastAccessedTime() { return 0; }
        @Override public void invalidate() { }
        @Override public boolean isValid() { return true; }
        @Override public void putValue(String name, Object value) { }
        @Override public Object getValue(String name) { return null; }
        @Override public void removeValue(String name) { }
        @Override public String[] getValueNames() { return new String[0]; }
        @Override public Certificate[] getPeerCertificates() { return new Certificate[0]; }
        @Override public Certificate[] getLocalCertificates() { return null; }
        @SuppressWarnings("removal")
        @Override public javax.security.cert.X509Certificate[] getPeerCertificateChain() { return new javax.security.cert.X509Certificate[0]; }
        @Override public Principal getPeerPrincipal() { return null; }
        @Override public Principal getLocalPrincipal() { return null; }
        @Override public String getCipherSuite() { return "TLS_AES_128_GCM_SHA256"; }
        @Override public String getProtocol() { return "TLSv1.3"; }
        @Override public String getPeerHost() { return peerHost; }
        @Override public int getPeerPort() { return 993; }
        @Override public int getPacketBufferSize() { return 16709; }
        @Override public int getApplicationBufferSize() { return 16384; }
    }

    /** A client engine mid-handshake: its session and parameters are all the trust manager reads. */
    static final class ClientEngine extends SSLEngine {
        private final SSLSession session;
        private SSLParameters params = new SSLParameters();

        ClientEngine(String host, String endpointIdentification) {
            super(host, 993);
            session = new HandshakeSession(host);
            params.setEndpointIdentificationAlgorithm(endpointIdentification);
        }

        @Override public SSLSession getHandshakeSession() { return session; }
        @Override public SSLParameters getSSLParameters() { return params; }
        @Override public void setSSLParameters(SSLParameters p) { params = p; }
        @Override public SSLEngineResult wrap(ByteBuffer[] s, int o, int l, ByteBuffer d) { throw new UnsupportedOperationException(); }
        @Override public SSLEngineResult unwrap(ByteBuffer s, ByteBuffer[] d, int o, int l) { throw new UnsupportedOperationException(); }
        @Override public Runnable getDelegatedTask() { return null; }
        @Override public void closeInbound() { }
        @Override public boolean isInboundDone() { return false; }
        @Override public void closeOutbound() { }
        @Override public boolean isOutboundDone() { return false; }
        @Override public String[] getSupportedCipherSuites() { return new String[0]; }
        @Override public String[] getEnabledCipherSuites() { return new String[0]; }
        @Override public void setEnabledCipherSuites(String[] suites) { }
        @Override public String[] getSupportedProtocols() { return new String[] {"TLSv1.3"}; }
        @Override public String[] getEnabledProtocols() { return new String[] {"TLSv1.3"}; }
        @Override public void setEnabledProtocols(String[] protocols) { }
        @Override public SSLSession getSession() { return session; }
        @Override public void beginHandshake() { }
        @Override public SSLEngineResult.HandshakeStatus getHandshakeStatus() { return SSLEngineResult.HandshakeStatus.NEED_TASK; }
        @Override public void setUseClientMode(boolean mode) { }
        @Override public boolean getUseClientMode() { return true; }
        @Override public void setNeedClientAuth(boolean need) { }
        @Override public boolean getNeedClientAuth() { return false; }
        @Override public void setWantClientAuth(boolean want) { }
        @Override public boolean getWantClientAuth() { return false; }
        @Override public void setEnableSessionCreation(boolean flag) { }
        @Override public boolean getEnableSessionCreation() { return true; }
    }

    private final CertificateFactory factory;

    ChainOracle() throws Exception {
        factory = CertificateFactory.getInstance("X.509");
    }

    private List<X509Certificate> parse(String field, boolean strict) throws Exception {
        List<X509Certificate> out = new ArrayList<>();
        for (String b64 : field.trim().split(" +")) {
            if (b64.isEmpty()) continue;
            try {
                out.add((X509Certificate) factory.generateCertificate(new ByteArrayInputStream(Base64.getDecoder().decode(b64))));
            } catch (Exception e) {
                if (strict) throw e; // a peer certificate the JDK cannot read fails the handshake
                // an anchor it cannot read is not an anchor (a keystore would not hold it)
            }
        }
        return out;
    }

    /** Returns {accepted, detail}. */
    Object[] judge(Map<String, String> req) {
        List<X509Certificate> chain;
        Set<TrustAnchor> anchors = new HashSet<>();
        try {
            chain = parse(req.get("cert") + " " + req.get("chain"), true);
            for (X509Certificate root : parse(req.get("roots"), false)) anchors.add(new TrustAnchor(root, null));
        } catch (Exception e) {
            return new Object[] {false, "CertificateFactory: " + Oracle.rootMessage(e)};
        }
        if (chain.isEmpty()) return new Object[] {false, "empty chain"};
        try {
            PKIXBuilderParameters params = new PKIXBuilderParameters(anchors, new X509CertSelector());
            params.setRevocationEnabled(false);
            params.setDate(new Date(Long.parseLong(req.get("time")) * 1000L));
            TrustManagerFactory tmf = TrustManagerFactory.getInstance("PKIX");
            tmf.init(new CertPathTrustManagerParameters(params));
            X509ExtendedTrustManager tm = null;
            for (TrustManager t : tmf.getTrustManagers()) {
                if (t instanceof X509ExtendedTrustManager) tm = (X509ExtendedTrustManager) t;
            }
            String name = req.get("host");
            String endpoint = name == null || name.isEmpty() ? null : "HTTPS";
            tm.checkServerTrusted(chain.toArray(new X509Certificate[0]), "UNKNOWN",
                    new ClientEngine(name == null ? "" : name, endpoint));
            return new Object[] {true, "checkServerTrusted passed" + (endpoint == null ? " (no endpoint identification)" : "")};
        } catch (Exception e) {
            return new Object[] {false, Oracle.rootMessage(e)};
        }
    }

    public static void main(String[] args) throws Exception {
        ChainOracle oracle = new ChainOracle();
        Oracle.serve(oracle::judge);
    }
}
