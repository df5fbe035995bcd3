/*
 * GnuTLS oracle: gnutls_x509_crt_import (DER) then gnutls_x509_crt_check_hostname2(crt,
 * host, 0) -- flags 0 is what Evolution/glib-networking and mutt-gnutls get by default
 * (wildcards allowed; GnuTLS itself decides CN fallback, IP handling and IDNA).
 */
#include "jsonl.h"

#include <gnutls/gnutls.h>
#include <gnutls/x509.h>

int main(void) {
    char *line;
    int ret = gnutls_global_init();
    if (ret < 0) {
        fprintf(stderr, "gnutls_global_init: %s\n", gnutls_strerror(ret));
        return 2;
    }
    while ((line = jl_read_line(stdin)) != NULL) {
        jl_case c;
        char detail[1024];
        if (!jl_parse_case(line, &c)) {
            jl_emit(stdout, c.id, 0, "oracle: malformed input line");
            jl_free_case(&c);
            free(line);
            continue;
        }
        gnutls_x509_crt_t crt;
        gnutls_datum_t data = {c.der, (unsigned int)c.der_len};
        gnutls_x509_crt_init(&crt);
        ret = gnutls_x509_crt_import(crt, &data, GNUTLS_X509_FMT_DER);
        if (ret < 0) {
            snprintf(detail, sizeof detail, "gnutls_x509_crt_import: %s", gnutls_strerror(ret));
            jl_emit(stdout, c.id, 0, detail);
        } else {
            unsigned ok = gnutls_x509_crt_check_hostname2(crt, c.host, 0);
            jl_emit(stdout, c.id, ok ? 1 : 0,
                    ok ? "gnutls_x509_crt_check_hostname2: match"
                       : "gnutls_x509_crt_check_hostname2: no match");
        }
        gnutls_x509_crt_deinit(crt);
        jl_free_case(&c);
        free(line);
    }
    gnutls_global_deinit();
    return 0;
}
