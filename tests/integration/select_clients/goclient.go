// A Go crypto/tls client with several Config.Certificates, for certpick's
// differential test: Go picks the certificate itself (getClientCertificate).
// usage: goclient ADDR tls1.2|tls1.3 CHAIN.pem KEY.pem [CHAIN.pem KEY.pem ...]
// SELCLIENT_PATH (default "/") is the path requested (a server may ask for
// the certificate only for some paths: renegotiation or post-handshake auth).
// Prints the HTTP answer of `openssl s_server -www` (which shows the client
// certificate it received).
package main

import (
	"crypto/tls"
	"fmt"
	"io"
	"net"
	"os"
	"time"
)

var netDialer = net.Dialer{Timeout: 10 * time.Second}

func main() {
	if len(os.Args) < 3 || len(os.Args)%2 != 1 {
		fmt.Fprintln(os.Stderr, "usage: goclient ADDR tls1.2|tls1.3 [CHAIN KEY]...")
		os.Exit(2)
	}
	cfg := &tls.Config{InsecureSkipVerify: true, MinVersion: tls.VersionTLS12}
	if os.Args[2] == "tls1.2" {
		cfg.MaxVersion = tls.VersionTLS12
	} else {
		cfg.MinVersion = tls.VersionTLS13
	}
	for i := 3; i+1 < len(os.Args); i += 2 {
		c, err := tls.LoadX509KeyPair(os.Args[i], os.Args[i+1])
		if err != nil {
			// e.g. an id-RSASSA-PSS key ("tls: unknown public key algorithm"):
			// this pair cannot be in Config.Certificates; the others can
			fmt.Fprintln(os.Stderr, "load (skipped):", os.Args[i], err)
			continue
		}
		cfg.Certificates = append(cfg.Certificates, c)
	}
	conn, err := tls.DialWithDialer(&netDialer, "tcp", os.Args[1], cfg)
	if err != nil {
		fmt.Fprintln(os.Stderr, "dial:", err)
		os.Exit(1)
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(10 * time.Second))
	path := os.Getenv("SELCLIENT_PATH")
	if path == "" {
		path = "/"
	}
	io.WriteString(conn, "GET "+path+" HTTP/1.0\r\n\r\n")
	if _, err := io.Copy(os.Stdout, conn); err != nil {
		// a renegotiation request ends here: "local error: tls: no renegotiation"
		fmt.Fprintln(os.Stderr, "read:", err)
		fmt.Println("client error:", err)
	}
}
