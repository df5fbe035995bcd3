// mozilla::pkix oracle: the certificate verifier of Firefox and Thunderbird, built from the
// lib/mozpkix sources of Debian's nss package (vendored in mozpkix/, see its README.md), with
// a TrustDomain that follows Firefox's NSSCertDBTrustDomain for a TLS server certificate.
//
// stdin, one JSON object per line, every value a string:
//   {"id": "...", "cert": "<base64 DER leaf>", "host": "<host>",
//    "mode": "name" | "chain",                     (default "name")
//    "chain": "<base64 DER> <base64 DER> ...",     intermediates the server sends (chain mode)
//    "roots": "<base64 DER> ...",                  trust anchors (chain mode)
//    "time": "<seconds since 1970>",               validation time (chain mode)
//    "url_error": "..."}                           set by the host stage: the URL parser refused the host
// stdout: {"id": ..., "accepted": true|false, "detail": "Result::ERROR_... or what passed"}
//
// mode "name": CheckCertHostname(leaf, host) alone, as Firefox calls it once the chain is built
// (ERROR_BAD_DER from it is reported as ERROR_BAD_CERT_DOMAIN, as CertVerifier.cpp does).
// mode "chain": BuildCertChain(..., MustBeEndEntity, <key usage>, id_kp_serverAuth, anyPolicy)
// with Firefox's key-usage cascade (digitalSignature, then keyEncipherment, then keyAgreement:
// CertVerifier::VerifyCert for certificateUsageSSLServer), then CheckCertHostname when a host
// is given.  An empty "host" in chain mode checks the chain only.
//
// The TrustDomain (Firefox's policy where mozilla::pkix leaves it to the application):
// - trust anchors: exactly the "roots" given (byte-equal DER; an end-entity certificate listed
//   there is an anchor too, as a certificate the user imported as trusted);
// - issuers: the roots first, then the intermediates the server sent (NSSCertDBTrustDomain
//   looks in the certificate database before the handshake's certificates);
// - RSA keys of at least 1024 bits (Firefox's MIN_RSA_BITS_WEAK, the floor for DV);
// - SHA-1 signatures refused (Firefox removed the SHA1Mode preference: SHA-1 is disabled for
//   every certificate it checks a signature of; the anchor's own signature is never checked);
//   SHA-256/384/512 accepted; P-256, P-384 and P-521 accepted; RSA-PSS accepted;
// - no revocation checking (no OCSP responder here; Firefox soft-fails without one);
// - no validity-period cap (Firefox caps only EV), Netscape step-up never taken as serverAuth.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <string>
#include <vector>

#include <nss.h>

#include "mozpkix/pkix.h"
#include "mozpkix/pkixnss.h"
#include "mozpkix/pkixutil.h"

using namespace mozilla::pkix;

namespace {

using Bytes = std::vector<uint8_t>;

// --- the JSON-lines protocol (flat objects of strings: no JSON library to link) -------------

void PutUtf8(std::string& out, unsigned long cp) {
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    out += static_cast<char>(0xC0 | (cp >> 6));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    out += static_cast<char>(0xE0 | (cp >> 12));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (cp >> 18));
    out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  }
}

bool Hex4(const std::string& s, size_t at, unsigned long& v) {
  if (at + 4 > s.size()) return false;
  v = 0;
  for (size_t i = at; i < at + 4; i++) {
    char c = s[i];
    v <<= 4;
    if (c >= '0' && c <= '9') v |= static_cast<unsigned long>(c - '0');
    else if (c >= 'a' && c <= 'f') v |= static_cast<unsigned long>(c - 'a' + 10);
    else if (c >= 'A' && c <= 'F') v |= static_cast<unsigned long>(c - 'A' + 10);
    else return false;
  }
  return true;
}

// Parses a JSON string at s[p] (the opening quote); advances p past the closing quote.
bool ParseString(const std::string& s, size_t& p, std::string& out) {
  if (p >= s.size() || s[p] != '"') return false;
  out.clear();
  for (p++; p < s.size() && s[p] != '"'; p++) {
    if (s[p] != '\\') { out += s[p]; continue; }
    if (++p >= s.size()) return false;
    switch (s[p]) {
      case '"': case '\\': case '/': out += s[p]; break;
      case 'b': out += '\b'; break;
      case 'f': out += '\f'; break;
      case 'n': out += '\n'; break;
      case 'r': out += '\r'; break;
      case 't': out += '\t'; break;
      case 'u': {
        unsigned long cp, lo;
        if (!Hex4(s, p + 1, cp)) return false;
        p += 4;
        if (cp >= 0xD800 && cp < 0xDC00 && p + 6 < s.size() && s[p + 1] == '\\' && s[p + 2] == 'u' &&
            Hex4(s, p + 3, lo) && lo >= 0xDC00 && lo < 0xE000) {
          cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
          p += 6;
        }
        PutUtf8(out, cp);
        break;
      }
      default: return false;
    }
  }
  if (p >= s.size()) return false;
  p++;
  return true;
}

struct Case {
  std::string id, cert, host, mode = "name", chain, roots, time, urlError;
  bool hasUrlError = false;
};

bool ParseCase(const std::string& line, Case& c) {
  size_t p = line.find('{');
  if (p == std::string::npos) return false;
  p++;
  std::string key, value;
  for (;;) {
    while (p < line.size() && (line[p] == ' ' || line[p] == ',' || line[p] == '\t')) p++;
    if (p >= line.size() || line[p] == '}') break;
    if (!ParseString(line, p, key)) return false;
    while (p < line.size() && (line[p] == ' ' || line[p] == ':')) p++;
    if (!ParseString(line, p, value)) return false;
    if (key == "id") c.id = value;
    else if (key == "cert") c.cert = value;
    else if (key == "host") c.host = value;
    else if (key == "mode") c.mode = value;
    else if (key == "chain") c.chain = value;
    else if (key == "roots") c.roots = value;
    else if (key == "time") c.time = value;
    else if (key == "url_error") { c.urlError = value; c.hasUrlError = true; }
  }
  return !c.id.empty() && !c.cert.empty();
}

void WriteString(std::string& out, const std::string& s) {
  out += '"';
  for (unsigned char ch : s) {
    if (ch == '"') out += "\\\"";
    else if (ch == '\\') out += "\\\\";
    else if (ch < 0x20 || ch == 0x7F) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\u%04x", ch);
      out += buf;
    } else out += static_cast<char>(ch);  // details are ASCII
  }
  out += '"';
}

void Emit(const std::string& id, bool accepted, const std::string& detail) {
  std::string out = "{\"id\": ";
  WriteString(out, id);
  out += accepted ? ", \"accepted\": true, \"detail\": " : ", \"accepted\": false, \"detail\": ";
  WriteString(out, detail);
  out += "}\n";
  std::fwrite(out.data(), 1, out.size(), stdout);
  std::fflush(stdout);
}

int B64(char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '+') return 62;
  if (c == '/') return 63;
  return -1;
}

bool Base64(const std::string& s, Bytes& out) {
  out.clear();
  unsigned long acc = 0;
  int bits = 0;
  for (char c : s) {
    if (c == '=') break;
    int v = B64(c);
    if (v < 0) return false;
    acc = (acc << 6) | static_cast<unsigned long>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<uint8_t>((acc >> bits) & 0xFF));
    }
  }
  return true;
}

// Space-separated base64 items.
bool Base64List(const std::string& s, std::vector<Bytes>& out) {
  size_t start = 0;
  while (start < s.size()) {
    size_t end = s.find(' ', start);
    if (end == std::string::npos) end = s.size();
    if (end > start) {
      Bytes der;
      if (!Base64(s.substr(start, end - start), der)) return false;
      out.push_back(std::move(der));
    }
    start = end + 1;
  }
  return true;
}

Input AsInput(const Bytes& der) {
  Input in;
  // Init refuses an empty or over-long buffer; the caller then sees an empty Input (BAD_DER)
  (void)in.Init(der.data(), der.size());
  return in;
}

// --- Firefox's policy (NSSCertDBTrustDomain, as far as mozilla::pkix leaves it open) ---------

class ThunderbirdTrustDomain final : public TrustDomain {
 public:
  ThunderbirdTrustDomain(const std::vector<Bytes>& roots, const std::vector<Bytes>& intermediates)
      : mRoots(roots), mIntermediates(intermediates) {}

  Result GetCertTrust(EndEntityOrCA, const CertPolicyId&, Input candidateCertDER,
                      /*out*/ TrustLevel& trustLevel) override {
    trustLevel = TrustLevel::InheritsTrust;
    for (const Bytes& root : mRoots) {
      if (InputsAreEqual(candidateCertDER, AsInput(root))) {
        trustLevel = TrustLevel::TrustAnchor;
        break;
      }
    }
    return Success;
  }

  Result FindIssuer(Input encodedIssuerName, IssuerChecker& checker, Time) override {
    for (const std::vector<Bytes>* pool : {&mRoots, &mIntermediates}) {
      for (const Bytes& candidate : *pool) {
        if (!SubjectIs(candidate, encodedIssuerName)) continue;
        bool keepGoing = true;
        Result rv = checker.Check(AsInput(candidate), nullptr, keepGoing);
        if (rv != Success) return rv;
        if (!keepGoing) return Success;
      }
    }
    return Success;
  }

  Result IsChainValid(const DERArray&, Time, const CertPolicyId&) override { return Success; }

  Result CheckRevocation(EndEntityOrCA, const CertID&, Time, Duration, const Input*, const Input*,
                         const Input*) override {
    return Success;
  }

  Result CheckSignatureDigestAlgorithm(DigestAlgorithm alg, EndEntityOrCA, Time) override {
    return alg == DigestAlgorithm::sha1 ? Result::ERROR_CERT_SIGNATURE_ALGORITHM_DISABLED : Success;
  }

  Result CheckRSAPublicKeyModulusSizeInBits(EndEntityOrCA, unsigned int bits) override {
    return bits < 1024 ? Result::ERROR_INADEQUATE_KEY_SIZE : Success;
  }

  Result VerifyRSAPKCS1SignedData(Input data, DigestAlgorithm alg, Input signature, Input spki) override {
    return VerifyRSAPKCS1SignedDataNSS(data, alg, signature, spki, nullptr);
  }

  Result VerifyRSAPSSSignedData(Input data, DigestAlgorithm alg, Input signature, Input spki) override {
    return VerifyRSAPSSSignedDataNSS(data, alg, signature, spki, nullptr);
  }

  Result CheckECDSACurveIsAcceptable(EndEntityOrCA, NamedCurve) override { return Success; }

  Result VerifyECDSASignedData(Input data, DigestAlgorithm alg, Input signature, Input spki) override {
    return VerifyECDSASignedDataNSS(data, alg, signature, spki, nullptr);
  }

  Result CheckValidityIsAcceptable(Time, Time, EndEntityOrCA, KeyPurposeId) override { return Success; }

  Result NetscapeStepUpMatchesServerAuth(Time, /*out*/ bool& matches) override {
    matches = false;
    return Success;
  }

  void NoteAuxiliaryExtension(AuxiliaryExtension, Input) override {}

  Result DigestBuf(Input item, DigestAlgorithm alg, uint8_t* buf, size_t len) override {
    return DigestBufNSS(item, alg, buf, len);
  }

 private:
  // A candidate issuer whose subject is the name sought (NSS looks issuers up by subject).
  static bool SubjectIs(const Bytes& der, Input name) {
    BackCert cert(AsInput(der), EndEntityOrCA::MustBeCA, nullptr);
    return cert.Init() == Success && InputsAreEqual(cert.GetSubject(), name);
  }

  const std::vector<Bytes>& mRoots;
  const std::vector<Bytes>& mIntermediates;
};

Result CheckName(Input leaf, const std::string& host) {
  Input hostname;
  if (hostname.Init(reinterpret_cast<const uint8_t*>(host.data()), host.size()) != Success) {
    return Result::ERROR_BAD_CERT_DOMAIN;  // empty: nothing can match
  }
  Result rv = CheckCertHostname(leaf, hostname);
  // CertVerifier::VerifySSLServerCert: "Treat malformed name information as a domain mismatch."
  return rv == Result::ERROR_BAD_DER ? Result::ERROR_BAD_CERT_DOMAIN : rv;
}

Result CheckChain(const Case& c, Input leaf, std::string& why) {
  std::vector<Bytes> intermediates, roots;
  if (!Base64List(c.chain, intermediates) || !Base64List(c.roots, roots)) {
    why = "oracle: bad base64 in chain or roots";
    return Result::FATAL_ERROR_INVALID_ARGS;
  }
  ThunderbirdTrustDomain trustDomain(roots, intermediates);
  Time when = TimeFromEpochInSeconds(std::strtoull(c.time.c_str(), nullptr, 10));
  // CertVerifier::VerifyCert, certificateUsageSSLServer: (EC)DHE, then RSA key exchange, then ECDH
  static const KeyUsage cascade[] = {KeyUsage::digitalSignature, KeyUsage::keyEncipherment,
                                     KeyUsage::keyAgreement};
  Result rv = Success;
  for (KeyUsage ku : cascade) {
    rv = BuildCertChain(trustDomain, leaf, when, EndEntityOrCA::MustBeEndEntity, ku,
                        KeyPurposeId::id_kp_serverAuth, CertPolicyId::anyPolicy, nullptr);
    if (rv != Result::ERROR_INADEQUATE_KEY_USAGE) break;
  }
  if (rv != Success) return rv;
  return c.host.empty() ? Success : CheckName(leaf, c.host);
}

}  // namespace

int main() {
  if (NSS_NoDB_Init(nullptr) != SECSuccess) {
    std::fprintf(stderr, "NSS_NoDB_Init failed\n");
    return 2;
  }
  std::string line;
  while (std::getline(std::cin, line)) {
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    Case c;
    Bytes leafDER;
    if (!ParseCase(line, c) || !Base64(c.cert, leafDER)) {
      Emit(c.id, false, "oracle: malformed input line");
      continue;
    }
    if (c.hasUrlError) {
      Emit(c.id, false, "URL host parser: " + c.urlError);
      continue;
    }
    Input leaf = AsInput(leafDER);
    std::string why;
    Result rv = c.mode == "chain" ? CheckChain(c, leaf, why) : CheckName(leaf, c.host);
    if (!why.empty()) Emit(c.id, false, why);
    else Emit(c.id, rv == Success, rv == Success ? "Success" : MapResultToName(rv));
  }
  NSS_Shutdown();
  return 0;
}
