// A recording mTLS server for certpick's differential test. It asks for a
// client certificate (any is accepted, nothing is verified), names the CAs
// whose certificates are in CAFILE (their raw subjects, byte for byte; none
// when CAFILE is "-"), and answers every request with the certificate that
// arrived, in the shape `openssl s_server -www` uses ("Client certificate"
// and a PEM block, or "no client certificate available"). Unlike s_server it
// serves connections concurrently (browsers open several).
// usage: recserver ADDR CERT KEY CAFILE|- tls1.2|tls1.3
package main

import (
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"net/http"
	"os"
	"time"
)

func main() {
	if len(os.Args) != 6 {
		fmt.Fprintln(os.Stderr, "usage: recserver ADDR CERT KEY CAFILE|- tls1.2|tls1.3")
		os.Exit(2)
	}
	cert, err := tls.LoadX509KeyPair(os.Args[2], os.Args[3])
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	cfg := &tls.Config{Certificates: []tls.Certificate{cert}, ClientAuth: tls.RequestClientCert}
	if os.Args[4] != "-" {
		data, err := os.ReadFile(os.Args[4])
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(data) {
			fmt.Fprintln(os.Stderr, "no certificate in", os.Args[4])
			os.Exit(1)
		}
		cfg.ClientCAs = pool
	}
	if os.Args[5] == "tls1.2" {
		cfg.MaxVersion = tls.VersionTLS12
	} else {
		cfg.MinVersion = tls.VersionTLS13
	}
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		w.Header().Set("Connection", "close")
		if r.TLS == nil || len(r.TLS.PeerCertificates) == 0 {
			fmt.Fprint(w, "<html><body><pre>no client certificate available</pre></body></html>\n")
			return
		}
		fmt.Fprint(w, "<html><body><pre>Client certificate\n")
		pem.Encode(w, &pem.Block{Type: "CERTIFICATE", Bytes: r.TLS.PeerCertificates[0].Raw})
		fmt.Fprint(w, "</pre></body></html>\n")
	})
	srv := &http.Server{Addr: os.Args[1], Handler: h, TLSConfig: cfg,
		ReadTimeout: 10 * time.Second, WriteTimeout: 10 * time.Second,
		ErrorLog: nil}
	srv.SetKeepAlivesEnabled(false)
	fmt.Fprintln(os.Stderr, srv.ListenAndServeTLS("", ""))
	os.Exit(1)
}
