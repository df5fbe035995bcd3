// Go oracle: x509.ParseCertificate then cert.VerifyHostname(host), standard library only.
//
// VerifyHostname is what net/smtp, crypto/tls clients and every Go mail tool end up
// calling; it has had no Common Name fallback since Go 1.17, matches IP literals against
// iPAddress SANs only, and is strict about what a DNS name may look like.
package main

import (
	"bufio"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"os"
)

type request struct {
	ID   string `json:"id"`
	Cert string `json:"cert"`
	Host string `json:"host"`
}

type verdict struct {
	ID       string `json:"id"`
	Accepted bool   `json:"accepted"`
	Detail   string `json:"detail"`
}

func judge(req request) verdict {
	der, err := base64.StdEncoding.DecodeString(req.Cert)
	if err != nil {
		return verdict{req.ID, false, "oracle: bad base64: " + err.Error()}
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return verdict{req.ID, false, "ParseCertificate: " + err.Error()}
	}
	if err := cert.VerifyHostname(req.Host); err != nil {
		return verdict{req.ID, false, "VerifyHostname: " + err.Error()}
	}
	return verdict{req.ID, true, "VerifyHostname: nil"}
}

func main() {
	in := bufio.NewScanner(os.Stdin)
	in.Buffer(make([]byte, 1<<20), 1<<24)
	out := bufio.NewWriter(os.Stdout)
	defer out.Flush()
	enc := json.NewEncoder(out)
	enc.SetEscapeHTML(false)
	for in.Scan() {
		line := in.Bytes()
		if len(line) == 0 {
			continue
		}
		var req request
		if err := json.Unmarshal(line, &req); err != nil {
			enc.Encode(verdict{req.ID, false, "oracle: malformed input line: " + err.Error()})
			continue
		}
		enc.Encode(judge(req))
	}
	if err := in.Err(); err != nil {
		fmt.Fprintln(os.Stderr, "reading stdin:", err)
		os.Exit(2)
	}
}
