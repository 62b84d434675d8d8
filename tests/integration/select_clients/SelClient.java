// A JSSE client for certpick's differential test: the key manager (SunX509,
// the JDK default, or PKIX) picks the client certificate itself.
// usage: java SelClient HOST PORT TLSv1.2|TLSv1.3 SunX509|PKIX A.p12 [B.p12 ...]
// Each PKCS#12 (password "test") becomes one keystore entry, in order, with
// aliases k0, k1, ... (for SunX509 these hash into consecutive HashMap
// buckets, so its iteration order is the insertion order).
// SELCLIENT_PATH (default "/") is the path requested.
// Prints the answer of `openssl s_server -www` (it shows the client certificate).
import java.io.*;
import java.security.*;
import java.security.cert.*;
import java.util.*;
import javax.net.ssl.*;

public class SelClient {
    public static void main(String[] a) throws Exception {
        char[] pw = "test".toCharArray();
        KeyStore ks = KeyStore.getInstance("PKCS12");
        ks.load(null, null);
        for (int i = 4; i < a.length; i++) {
            KeyStore one = KeyStore.getInstance("PKCS12");
            try (InputStream in = new FileInputStream(a[i])) { one.load(in, pw); }
            for (String al : Collections.list(one.aliases())) {
                if (one.isKeyEntry(al)) {
                    ks.setKeyEntry("k" + (i - 4), one.getKey(al, pw), pw, one.getCertificateChain(al));
                }
            }
        }
        KeyManagerFactory kmf = KeyManagerFactory.getInstance(a[3]);
        kmf.init(ks, pw);
        TrustManager[] trustAll = { new X509TrustManager() {
            public void checkClientTrusted(X509Certificate[] c, String t) {}
            public void checkServerTrusted(X509Certificate[] c, String t) {}
            public X509Certificate[] getAcceptedIssuers() { return new X509Certificate[0]; }
        } };
        SSLContext ctx = SSLContext.getInstance(a[2]);
        ctx.init(kmf.getKeyManagers(), trustAll, null);
        try (SSLSocket s = (SSLSocket) ctx.getSocketFactory().createSocket()) {
            s.connect(new java.net.InetSocketAddress(a[0], Integer.parseInt(a[1])), 10000);
            s.setSoTimeout(10000);
            s.setEnabledProtocols(new String[] { a[2] });
            s.startHandshake();
            OutputStream out = s.getOutputStream();
            String path = System.getenv("SELCLIENT_PATH");
            out.write(("GET " + (path == null || path.isEmpty() ? "/" : path)
                + " HTTP/1.0\r\n\r\n").getBytes("US-ASCII"));
            out.flush();
            InputStream in = s.getInputStream();
            byte[] buf = new byte[4096];
            int n;
            while ((n = in.read(buf)) > 0) System.out.write(buf, 0, n);
            System.out.flush();
        }
    }
}
