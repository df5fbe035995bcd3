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

#include "jsonl.h"
#include "mozpkix/pkix.h"
#include "mozpkix/pkixnss.h"
#include "mozpkix/pkixutil.h"

using namespace mozilla::pkix;

namespace {

using Bytes = std::vector<uint8_t>;

// --- the JSON-lines protocol: jsonl.h, the one reader and writer of the C oracles too --------

struct Case {
  std::string id, cert, host, mode = "name", chain, roots, time, urlError;
  bool hasUrlError = false;
};

// The string value of ``key`` in the request line into ``out`` (kept as it is when absent).
bool Field(const char* line, const char* key, std::string& out) {
  size_t len = 0;
  char* value = jl_get(line, key, &len);
  if (value == nullptr) return false;
  out.assign(value, len);  // with its length: an escaped U+0000 in a host stays in it
  std::free(value);
  return true;
}

bool ParseCase(const std::string& line, Case& c) {
  const char* l = line.c_str();
  Field(l, "id", c.id);
  Field(l, "cert", c.cert);
  Field(l, "host", c.host);
  Field(l, "mode", c.mode);
  Field(l, "chain", c.chain);
  Field(l, "roots", c.roots);
  Field(l, "time", c.time);
  c.hasUrlError = Field(l, "url_error", c.urlError);
  return !c.id.empty() && !c.cert.empty();
}

void Emit(const std::string& id, bool accepted, const std::string& detail) {
  jl_emit(stdout, id.c_str(), accepted, detail.c_str());
}

bool Base64(const std::string& s, Bytes& out) {
  size_t len = 0;
  unsigned char* der = jl_b64decode(s.c_str(), &len);
  if (der == nullptr) return false;
  out.assign(der, der + len);
  std::free(der);
  return true;
}

// Space-separated base64 items; one that does not decode fails the whole list (jl_split_der
// would skip it: here a bad item must say so).
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
