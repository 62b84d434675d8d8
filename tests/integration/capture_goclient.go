// A Go crypto/tls client that writes an NSS key log (Config.KeyLogWriter),
// for certpick capture's tests. Go supports neither renegotiation by default
// (Renegotiation: RenegotiateOnceAsClient here) nor TLS 1.3 post-handshake
// authentication, so a server that asks after the request sees what Go does.
// usage: capture_goclient ADDR tls1.2|tls1.3 PATH KEYLOG [CHAIN.pem KEY.pem]
// Prints the HTTP status line.
package main

import (
	"bufio"
	"crypto/tls"
	"fmt"
	"net"
	"os"
	"time"
)

func main() {
	if len(os.Args) != 5 && len(os.Args) != 7 {
		fmt.Fprintln(os.Stderr, "usage: capture_goclient ADDR tls1.2|tls1.3 PATH KEYLOG [CHAIN KEY]")
		os.Exit(2)
	}
	kl, err := os.OpenFile(os.Args[4], os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0600)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	defer kl.Close()
	cfg := &tls.Config{InsecureSkipVerify: true, KeyLogWriter: kl,
		Renegotiation: tls.RenegotiateOnceAsClient, ServerName: "localhost"}
	if os.Args[2] == "tls1.2" {
		cfg.MinVersion, cfg.MaxVersion = tls.VersionTLS12, tls.VersionTLS12
	} else {
		cfg.MinVersion = tls.VersionTLS13
	}
	if len(os.Args) == 7 {
		c, err := tls.LoadX509KeyPair(os.Args[5], os.Args[6])
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		cfg.Certificates = []tls.Certificate{c}
	}
	d := net.Dialer{Timeout: 10 * time.Second}
	conn, err := tls.DialWithDialer(&d, "tcp", os.Args[1], cfg)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(20 * time.Second))
	fmt.Fprintf(conn, "GET %s HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n", os.Args[3])
	line, err := bufio.NewReader(conn).ReadString('\n')
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	fmt.Print(line)
}
