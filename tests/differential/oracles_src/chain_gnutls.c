/*
 * GnuTLS whole-chain oracle: gnutls_x509_trust_list_verify_crt2, the call a GnuTLS client's
 * gnutls_certificate_verify_peers() ends in (lib/cert-session.c), with
 *   - a trust list holding exactly the case's anchors;
 *   - the typed name as GNUTLS_DT_DNS_HOSTNAME (what gnutls_certificate_verify_peers3 and
 *     gnutls_session_set_verify_cert pass; an IP address in it is matched against iPAddress
 *     SANs by GnuTLS itself) and GNUTLS_DT_KEY_PURPOSE_OID = serverAuth;
 *   - the verification profile of the NORMAL priority string (GNUTLS_PROFILE_LOW), which a
 *     session adds to its verify flags (priority.c);
 *   - the case's validation time through gnutls_global_set_time_function: GnuTLS reads the
 *     clock through gnutls_time() when it checks validity periods, so this is GnuTLS's own
 *     time check at another instant, not a re-implementation of it.
 *
 * With the argument --no-purpose, GNUTLS_DT_KEY_PURPOSE_OID is left out: what mutt and NeoMutt
 * (gnutls_certificate_verify_peers2), msmtp (gnutls_certificate_verify_peers3 with the host name)
 * and glib-networking (gnutls_x509_trust_list_verify_crt) ask, so GnuTLS checks no EKU.
 *
 * stdin   {"id": "...", "cert": "<b64 DER leaf>", "chain": "<b64 DER> ...", "roots": "<b64 DER> ...",
 *          "time": "<unix seconds>", "host": "<typed name, may be empty>"}
 *         (tests/differential/oracles.py run_chain_oracle)
 * stdout  {"id": ..., "accepted": true|false, "detail": "<GnuTLS's status text>"}
 */
#include "jsonl.h"

#include <gnutls/gnutls.h>
#include <gnutls/x509.h>
#include <time.h>

#define MAX_CERTS 128

static time_t case_time;
static int with_purpose = 1;

static time_t fixed_time(time_t *t) {
    if (t) *t = case_time;
    return case_time;
}

static size_t import_all(const char *field, gnutls_x509_crt_t *out, char *err, size_t errlen) {
    unsigned char *ders[MAX_CERTS];
    size_t lens[MAX_CERTS], n = jl_split_der(field ? field : "", ders, lens, MAX_CERTS), ok = 0;
    for (size_t i = 0; i < n; i++) {
        gnutls_datum_t d = {ders[i], (unsigned int)lens[i]};
        gnutls_x509_crt_init(&out[ok]);
        int ret = gnutls_x509_crt_import(out[ok], &d, GNUTLS_X509_FMT_DER);
        if (ret < 0) {
            if (err && !*err) snprintf(err, errlen, "certificate %zu: gnutls_x509_crt_import: %s", i, gnutls_strerror(ret));
            gnutls_x509_crt_deinit(out[ok]);
        } else {
            ok++;
        }
        free(ders[i]);
    }
    return ok;
}

static void judge(const char *line) {
    char *id = jl_get(line, "id", NULL), *leaf_f = jl_get(line, "cert", NULL), *rest_f = jl_get(line, "chain", NULL);
    char *roots_f = jl_get(line, "roots", NULL), *time_f = jl_get(line, "time", NULL), *name = jl_get(line, "host", NULL);
    char *chain_f = NULL;
    char detail[2048] = "";
    gnutls_x509_crt_t chain[MAX_CERTS], roots[MAX_CERTS];
    size_t nchain = 0, nroots = 0;
    if (!id || !leaf_f || !rest_f || !roots_f || !time_f || !name) {
        jl_emit(stdout, id, 0, "oracle: malformed input line");
        goto out;
    }
    chain_f = malloc(strlen(leaf_f) + strlen(rest_f) + 2);
    sprintf(chain_f, "%s %s", leaf_f, rest_f);
    case_time = (time_t)strtoll(time_f, NULL, 10);
    nchain = import_all(chain_f, chain, detail, sizeof detail);
    if (*detail || nchain == 0) {
        /* a peer certificate GnuTLS cannot read fails the handshake */
        jl_emit(stdout, id, 0, *detail ? detail : "oracle: empty chain");
        goto out;
    }
    /* an anchor GnuTLS cannot read is left out, as a CA file loader skips it */
    char ignored[256] = "";
    nroots = import_all(roots_f, roots, ignored, sizeof ignored);
    gnutls_x509_trust_list_t tl;
    gnutls_x509_trust_list_init(&tl, 0);
    gnutls_x509_trust_list_add_cas(tl, roots, (unsigned)nroots, 0); /* the list owns them now */
    gnutls_typed_vdata_st data[2];
    unsigned elements = 0;
    if (*name) {
        data[elements].type = GNUTLS_DT_DNS_HOSTNAME;
        data[elements].data = (unsigned char *)name;
        data[elements].size = 0;
        elements++;
    }
    if (with_purpose) {
        data[elements].type = GNUTLS_DT_KEY_PURPOSE_OID;
        data[elements].data = (unsigned char *)GNUTLS_KP_TLS_WWW_SERVER;
        data[elements].size = 0;
        elements++;
    }
    unsigned status = 0;
    int ret = gnutls_x509_trust_list_verify_crt2(tl, chain, (unsigned)nchain, data, elements,
                                                 GNUTLS_PROFILE_TO_VFLAGS(GNUTLS_PROFILE_LOW), &status, NULL);
    if (ret < 0) {
        snprintf(detail, sizeof detail, "gnutls_x509_trust_list_verify_crt2: %s", gnutls_strerror(ret));
        jl_emit(stdout, id, 0, detail);
    } else {
        gnutls_datum_t text = {NULL, 0};
        gnutls_certificate_verification_status_print(status, GNUTLS_CRT_X509, &text, 0);
        snprintf(detail, sizeof detail, "status 0x%x: %s", status, text.data ? (char *)text.data : "");
        gnutls_free(text.data);
        jl_emit(stdout, id, status == 0, detail);
    }
    gnutls_x509_trust_list_deinit(tl, 1);
out:
    for (size_t i = 0; i < nchain; i++) gnutls_x509_crt_deinit(chain[i]);
    free(id); free(leaf_f); free(rest_f); free(chain_f); free(roots_f); free(time_f); free(name);
}

int main(int argc, char **argv) {
    char *line;
    with_purpose = !(argc > 1 && strcmp(argv[1], "--no-purpose") == 0);
    int ret = gnutls_global_init();
    if (ret < 0) {
        fprintf(stderr, "gnutls_global_init: %s\n", gnutls_strerror(ret));
        return 2;
    }
    gnutls_global_set_time_function(fixed_time);
    while ((line = jl_read_line(stdin)) != NULL) {
        judge(line);
        free(line);
    }
    gnutls_global_deinit();
    return 0;
}
