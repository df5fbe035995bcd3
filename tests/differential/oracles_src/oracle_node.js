'use strict';
/*
 * Node.js oracle: new crypto.X509Certificate(der).toLegacyObject(), then
 * tls.checkServerIdentity(host, legacyCert).  That is what tls.connect() (and therefore
 * Nodemailer) runs by default; `undefined` means accepted, an Error means refused.
 * The legacy object is used because checkServerIdentity reads its `subjectaltname`
 * string and `subject.CN`, exactly as it does for a peer certificate on a live socket.
 */
const crypto = require('crypto');
const readline = require('readline');
const tls = require('tls');

function judge(req) {
  let legacy;
  try {
    legacy = new crypto.X509Certificate(Buffer.from(req.cert, 'base64')).toLegacyObject();
  } catch (e) {
    return { accepted: false, detail: `X509Certificate: ${e.code || ''} ${e.message}`.trim() };
  }
  try {
    const err = tls.checkServerIdentity(req.host, legacy);
    if (err === undefined) {
      const cn = legacy.subject ? legacy.subject.CN : undefined;
      return {
        accepted: true,
        detail: `checkServerIdentity: undefined (subjectaltname=${JSON.stringify(legacy.subjectaltname)}, CN=${JSON.stringify(cn)})`,
      };
    }
    return { accepted: false, detail: `${err.code}: ${err.reason || err.message}` };
  } catch (e) {
    return { accepted: false, detail: `checkServerIdentity threw: ${e.name}: ${e.message}` };
  }
}

const rl = readline.createInterface({ input: process.stdin, crlfDelay: Infinity });
rl.on('line', (line) => {
  if (!line.trim()) return;
  let req;
  try {
    req = JSON.parse(line);
  } catch (e) {
    process.stdout.write(JSON.stringify({ id: null, accepted: false, detail: `oracle: malformed input line: ${e.message}` }) + '\n');
    return;
  }
  const v = judge(req);
  process.stdout.write(JSON.stringify({ id: req.id, accepted: v.accepted, detail: v.detail }) + '\n');
});
