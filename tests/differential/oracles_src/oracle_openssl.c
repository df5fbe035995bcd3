/*
 * OpenSSL oracle: the verdict a TLS client gets from SSL_set1_host(ssl, host) with the
 * default host flags (0).
 *
 * OpenSSL 3.0's SSL_set1_host (ssl/ssl_lib.c) tries X509_VERIFY_PARAM_set1_ip_asc first: a
 * host that a2i_ipadd reads as an IP address is matched against SAN iPAddress entries only
 * (X509_check_ip); any other host goes to X509_VERIFY_PARAM_set1_host and is matched by
 * X509_check_host with flags 0.  X509_check_ip_asc is exactly that first step (a2i_ipadd,
 * then X509_check_ip), and answers -2 when the host is no IP address.  The matched name (a
 * second call with a peername out-parameter) only feeds the detail text.
 */
#include "jsonl.h"

#include <openssl/err.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

static void last_error(char *buf, size_t len) {
    unsigned long e = ERR_get_error();
    if (e == 0) snprintf(buf, len, "no OpenSSL error queued");
    else ERR_error_string_n(e, buf, len);
    ERR_clear_error();
}

int main(void) {
    char *line;
    while ((line = jl_read_line(stdin)) != NULL) {
        jl_case c;
        char detail[1024], err[512];
        if (!jl_parse_case(line, &c)) {
            jl_emit(stdout, c.id, 0, "oracle: malformed input line");
            jl_free_case(&c);
            free(line);
            continue;
        }
        const unsigned char *p = c.der;
        X509 *x = d2i_X509(NULL, &p, (long)c.der_len);
        if (x == NULL) {
            last_error(err, sizeof err);
            snprintf(detail, sizeof detail, "d2i_X509 failed: %s", err);
            jl_emit(stdout, c.id, 0, detail);
        } else {
            int rc = X509_check_ip_asc(x, c.host, 0);
            if (rc == -2) {
                rc = X509_check_host(x, c.host, strlen(c.host), 0, NULL);
                if (rc == 1) {
                    char *peer = NULL;
                    X509_check_host(x, c.host, strlen(c.host), 0, &peer);
                    snprintf(detail, sizeof detail, "X509_check_host=1, matched %s", peer ? peer : "?");
                    OPENSSL_free(peer);
                    jl_emit(stdout, c.id, 1, detail);
                } else if (rc == 0) {
                    jl_emit(stdout, c.id, 0, "X509_check_host=0 (no match)");
                } else {
                    last_error(err, sizeof err);
                    snprintf(detail, sizeof detail, "X509_check_host=%d (%s): %s", rc,
                             rc == -2 ? "malformed input" : "internal error", err);
                    jl_emit(stdout, c.id, 0, detail);
                }
            } else if (rc == 1) {
                jl_emit(stdout, c.id, 1, "X509_check_ip_asc=1 (SAN iPAddress)");
            } else {
                snprintf(detail, sizeof detail, "X509_check_ip_asc=%d (IP address mismatch)", rc);
                jl_emit(stdout, c.id, 0, detail);
            }
            X509_free(x);
        }
        jl_free_case(&c);
        free(line);
    }
    return 0;
}
