// Whole-chain oracle: Go's crypto/x509 Certificate.Verify, as a Go mail client calls it
// (tls.Config with RootCAs: DNSName set, KeyUsages serverAuth by default, the given time).
//
// stdin   {"id": "...", "cert": "<base64 DER leaf>", "chain": "<base64 DER> ...", "roots": "<base64 DER> ...",
//          "time": "<unix>", "host": "..."}  (tests/differential/oracles.py run_chain_oracle)
// stdout  {"id": ..., "accepted": true|false, "detail": "<Go's error or the chain length>"}
package main

import (
	"bufio"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"
)

type request struct {
	ID    string `json:"id"`
	Cert  string `json:"cert"`
	Chain string `json:"chain"`
	Roots string `json:"roots"`
	Time  string `json:"time"`
	Name  string `json:"host"`
}

type verdict struct {
	ID       string `json:"id"`
	Accepted bool   `json:"accepted"`
	Detail   string `json:"detail"`
}

func parse(field string) ([]*x509.Certificate, error) {
	var out []*x509.Certificate
	for _, b := range strings.Fields(field) {
		der, err := base64.StdEncoding.DecodeString(b)
		if err != nil {
			return nil, err
		}
		c, err := x509.ParseCertificate(der)
		if err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, nil
}

func judge(r request) verdict {
	chain, err := parse(r.Cert + " " + r.Chain)
	if err != nil {
		return verdict{r.ID, false, "parse: " + err.Error()}
	}
	if len(chain) == 0 {
		return verdict{r.ID, false, "empty chain"}
	}
	roots, err := parse(r.Roots)
	if err != nil {
		return verdict{r.ID, false, "parse roots: " + err.Error()}
	}
	when, err := strconv.ParseInt(r.Time, 10, 64)
	if err != nil {
		return verdict{r.ID, false, "time: " + err.Error()}
	}
	opts := x509.VerifyOptions{
		DNSName:       r.Name,
		Roots:         x509.NewCertPool(),
		Intermediates: x509.NewCertPool(),
		CurrentTime:   time.Unix(when, 0),
	}
	for _, c := range roots {
		opts.Roots.AddCert(c)
	}
	for _, c := range chain[1:] {
		opts.Intermediates.AddCert(c)
	}
	chains, err := chain[0].Verify(opts)
	if err != nil {
		return verdict{r.ID, false, err.Error()}
	}
	return verdict{r.ID, true, fmt.Sprintf("%d chain(s)", len(chains))}
}

func main() {
	in := bufio.NewScanner(os.Stdin)
	in.Buffer(make([]byte, 1<<20), 64<<20)
	out := json.NewEncoder(os.Stdout)
	for in.Scan() {
		var r request
		if err := json.Unmarshal(in.Bytes(), &r); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(2)
		}
		if err := out.Encode(judge(r)); err != nil {
			os.Exit(2)
		}
	}
}
