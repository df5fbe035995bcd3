// Logs in to an IMAPS server with Jakarta Mail, trusting only the given CA.
// usage: java -cp JARS:. JakartaProbe HOST PORT CA_PEM MODE[,MODE]   (MODE: check or default)
// Per mode, prints "MODE: ACCEPTED" after a login, or "MODE: " before each exception of the chain.
import java.io.FileInputStream;
import java.security.KeyStore;
import java.security.cert.CertificateFactory;
import java.util.Properties;

public class JakartaProbe {
    public static void main(String[] args) throws Exception {
        String host = args[0];
        int port = Integer.parseInt(args[1]);
        KeyStore trust = KeyStore.getInstance(KeyStore.getDefaultType());
        trust.load(null, null);
        try (FileInputStream in = new FileInputStream(args[2])) {
            trust.setCertificateEntry("ca", CertificateFactory.getInstance("X.509").generateCertificate(in));
        }
        // the JVM-wide trust store, so every socket Jakarta Mail opens trusts the CA (and nothing else)
        java.io.File trustFile = java.io.File.createTempFile("trust", ".p12");
        trustFile.deleteOnExit();
        try (java.io.FileOutputStream out = new java.io.FileOutputStream(trustFile)) {
            trust.store(out, "changeit".toCharArray());
        }
        System.setProperty("javax.net.ssl.trustStore", trustFile.getPath());
        System.setProperty("javax.net.ssl.trustStorePassword", "changeit");
        System.setProperty("javax.net.ssl.trustStoreType", KeyStore.getDefaultType());
        // one JVM for both settings: the JVM's start costs more than both logins
        int failed = 0;
        for (String mode : args[3].split(",")) {
            failed += login(host, port, mode) ? 0 : 1;
        }
        System.exit(failed == 0 ? 0 : 1);
    }

    static boolean login(String host, int port, String mode) {
        Properties props = new Properties();
        props.put("mail.imaps.connectiontimeout", "15000");
        props.put("mail.imaps.timeout", "15000");
        if (mode.equals("check")) {
            props.put("mail.imaps.ssl.checkserveridentity", "true");
        }
        try {
            jakarta.mail.Store store = jakarta.mail.Session.getInstance(props).getStore("imaps");
            store.connect(host, port, "u", "test");
            store.close();
            System.out.println(mode + ": ACCEPTED");
            return true;
        } catch (Exception e) {
            for (Throwable t = e; t != null; t = t.getCause()) {
                System.out.println(mode + ": " + t.getClass().getName() + ": " + t.getMessage());
            }
            return false;
        }
    }
}
