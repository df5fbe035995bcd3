// Host stage of the mozpkix oracle: the typed server name goes through the WHATWG URL host
// parser (Node's, which is Ada) before mozilla::pkix sees it, as Thunderbird parses its server
// URI (imap://host, a URL whose host it parses like a special scheme's: IDNA/UTS #46 mapping,
// IPv4 numbers in any radix, forbidden code points refused).  The name is read as the authority
// of such a URL, so a "/" ends it and a ":port" is dropped; an IPv6 address typed bare is put
// in brackets first, and the brackets are removed again for CheckCertHostname.
//
// stdin/stdout: the oracle's JSON lines; "host" is replaced by the parsed host, or "url_error"
// is added when the parser refuses the name (the C++ stage reports that as a refusal).
"use strict";
const readline = require("readline");

const rl = readline.createInterface({ input: process.stdin, crlfDelay: Infinity });
rl.on("line", (line) => {
  if (!line.trim()) return;
  const c = JSON.parse(line);
  const typed = c.host ?? "";
  if (c.mode === "chain" && typed === "") {
    process.stdout.write(JSON.stringify(c) + "\n");  // chain only, no name to check
    return;
  }
  const bare6 = typed.split(":").length > 2 && !typed.startsWith("[");
  try {
    let host = new URL("https://" + (bare6 ? `[${typed}]` : typed)).hostname;
    if (host.startsWith("[") && host.endsWith("]")) host = host.slice(1, -1);
    if (host === "") throw new Error("empty host");
    c.host = host;
  } catch (err) {
    c.url_error = String(err.code || err.message);
  }
  process.stdout.write(JSON.stringify(c) + "\n");
});
