// Logs in with imapflow (IMAPS) or verifies an SMTP submission with nodemailer (STARTTLS),
// trusting only the given CA.  usage: node node_probe.js imapflow|nodemailer HOST PORT CA_PEM
// Prints "ACCEPTED" (exit 0), or the error's code and message (exit 1).
"use strict";
const fs = require("fs");
const [kind, host, port, caPath] = process.argv.slice(2);
const ca = [fs.readFileSync(caPath)];

async function main() {
  if (kind === "imapflow") {
    const { ImapFlow } = require("imapflow");
    const client = new ImapFlow({ host, port: Number(port), secure: true, tls: { ca }, auth: { user: "u", pass: "test" }, logger: false });
    client.on("error", () => {});
    await client.connect();
    await client.logout();
  } else {
    const nodemailer = require("nodemailer");
    const transport = nodemailer.createTransport({ host, port: Number(port), secure: false, requireTLS: true, tls: { ca } });
    await transport.verify().catch((e) => {
      // the servers offer no AUTH: after STARTTLS nodemailer complains about that, which means TLS passed
      if (e && /authentication|AUTH/i.test(String(e.message)) && !e.code?.startsWith("ERR_TLS")) return;
      throw e;
    });
  }
  console.log("ACCEPTED");
}

main().then(() => process.exit(0), (e) => {
  console.log(`${e.code || ""}: ${e.message}`);
  process.exit(1);
});
