'use strict';
/*
 * Node.js whole-chain oracle: a real TLS handshake per case over loopback, one process.
 *
 * The server (tls.createServer) serves the case's chain with the leaf's key, at security level
 * 0 so that it can serve what a client must judge (SHA-1, RSA-1024).  The client is
 * tls.connect with Node's defaults - Node's own OpenSSL, its verify flags and security level,
 * rejectUnauthorized - and `ca` = the case's anchors (as Nodemailer's `tls.ca`); the typed
 * name goes to the real tls.checkServerIdentity (what tls.connect calls with `servername`;
 * called through a wrapper because the socket goes to 127.0.0.1 and an IP address may not be
 * an SNI name).  Validation is at the real clock: the chain corpus is built around the current
 * day.  Cases without a key (x509-limbo) cannot be served: refused with that detail.
 *
 * stdin   run_chain_oracle's requests (tests/differential/oracles.py) with "key": base64 PEM
 * stdout  {"id": ..., "accepted": true|false, "detail": "..."}
 */
const net = require('net');
const readline = require('readline');
const tls = require('tls');

function pem(field) {
  return field.split(/\s+/).filter(Boolean).map((b64) =>
    `-----BEGIN CERTIFICATE-----\n${b64.match(/.{1,64}/g).join('\n')}\n-----END CERTIFICATE-----\n`).join('');
}

function judge(req) {
  return new Promise((resolve) => {
    if (!req.key) {
      resolve({ accepted: false, detail: 'no private key for the leaf: no server can serve it' });
      return;
    }
    let server;
    try {
      server = tls.createServer({
        key: Buffer.from(req.key, 'base64'),
        cert: pem(`${req.cert} ${req.chain}`),
        ciphers: 'DEFAULT:@SECLEVEL=0',
      }, (socket) => socket.end());
    } catch (e) {
      resolve({ accepted: false, detail: `server could not load the chain: ${e.message}` });
      return;
    }
    server.on('tlsClientError', () => {});
    server.listen(0, '127.0.0.1', () => {
      const options = { host: '127.0.0.1', port: server.address().port, ca: pem(req.roots) };
      if (req.host && !net.isIP(req.host)) options.servername = req.host;
      options.checkServerIdentity = req.host ? (_, cert) => tls.checkServerIdentity(req.host, cert) : () => undefined;
      const done = (v) => { server.close(); resolve(v); };
      const socket = tls.connect(options, () => {
        const protocol = socket.getProtocol();
        socket.destroy();
        done({ accepted: true, detail: `handshake completed (${protocol})` });
      });
      socket.on('error', (e) => { socket.destroy(); done({ accepted: false, detail: `${e.code || ''}: ${e.reason || e.message}` }); });
    });
  });
}

async function main() {
  const rl = readline.createInterface({ input: process.stdin, crlfDelay: Infinity });
  for await (const line of rl) {
    if (!line.trim()) continue;
    let req;
    try {
      req = JSON.parse(line);
    } catch (e) {
      process.stdout.write(JSON.stringify({ id: null, accepted: false, detail: `oracle: malformed input line: ${e.message}` }) + '\n');
      continue;
    }
    const v = await judge(req);
    process.stdout.write(JSON.stringify({ id: req.id, accepted: v.accepted, detail: v.detail }) + '\n');
  }
}

main();
