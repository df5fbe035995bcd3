// STARTTLS on an SMTP submission port with Go's net/smtp, trusting only the given CA.
// usage: go_smtp HOST PORT CA_PEM   Prints "ACCEPTED" (exit 0) or the error (exit 1).
package main

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"net"
	"net/smtp"
	"os"
)

func main() {
	host, port, caPath := os.Args[1], os.Args[2], os.Args[3]
	pem, err := os.ReadFile(caPath)
	if err != nil {
		fmt.Println(err)
		os.Exit(2)
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(pem)
	c, err := smtp.Dial(net.JoinHostPort(host, port))
	if err != nil {
		fmt.Println(err)
		os.Exit(2)
	}
	defer c.Close()
	if err := c.StartTLS(&tls.Config{ServerName: host, RootCAs: pool}); err != nil {
		fmt.Println(err)
		os.Exit(1)
	}
	fmt.Println("ACCEPTED")
}
