/*
 * NSS oracle: NSS_NoDB_Init, CERT_NewTempCertificate, CERT_VerifyCertName(cert, host).
 *
 * This is the name check of classic NSS (libssl's SSL_AuthCertificate), not mozilla::pkix
 * (which Firefox/Thunderbird use and which has no CN fallback); the `thunderbird` profile
 * is therefore not judged by this oracle.  Temporary certificates are cached by issuer and
 * serial inside NSS, which is why every corpus leaf has its own serial number.
 */
#include "jsonl.h"

#include <cert.h>
#include <nss.h>
#include <prerror.h>
#include <secerr.h>
#include <secport.h>
#include <sslerr.h>

/* libssl's error table is not registered without SSL initialisation, so the one code
 * CERT_VerifyCertName uses for a mismatch is named here; any other gets its number. */
static const char *error_name(void) {
    static char buf[64];
    PRErrorCode code = PORT_GetError();
    if (code == SSL_ERROR_BAD_CERT_DOMAIN) return "SSL_ERROR_BAD_CERT_DOMAIN";
    const char *name = PR_ErrorToName(code);
    if (name) return name;
    snprintf(buf, sizeof buf, "NSS error %d", (int)code);
    return buf;
}

int main(void) {
    char *line;
    if (NSS_NoDB_Init(NULL) != SECSuccess) {
        fprintf(stderr, "NSS_NoDB_Init failed: %s\n", error_name());
        return 2;
    }
    CERTCertDBHandle *db = CERT_GetDefaultCertDB();
    while ((line = jl_read_line(stdin)) != NULL) {
        jl_case c;
        char detail[1024];
        if (!jl_parse_case(line, &c)) {
            jl_emit(stdout, c.id, 0, "oracle: malformed input line");
            jl_free_case(&c);
            free(line);
            continue;
        }
        SECItem item = {siDERCertBuffer, c.der, (unsigned int)c.der_len};
        CERTCertificate *cert = CERT_NewTempCertificate(db, &item, NULL, PR_FALSE, PR_TRUE);
        if (cert == NULL) {
            snprintf(detail, sizeof detail, "CERT_NewTempCertificate: %s", error_name());
            jl_emit(stdout, c.id, 0, detail);
        } else {
            PORT_SetError(0);
            SECStatus rv = CERT_VerifyCertName(cert, c.host);
            if (rv == SECSuccess) {
                jl_emit(stdout, c.id, 1, "CERT_VerifyCertName: SECSuccess");
            } else {
                snprintf(detail, sizeof detail, "CERT_VerifyCertName: %s", error_name());
                jl_emit(stdout, c.id, 0, detail);
            }
            CERT_DestroyCertificate(cert);
        }
        jl_free_case(&c);
        free(line);
    }
    NSS_Shutdown();
    return 0;
}
