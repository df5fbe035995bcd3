/*
 * Shared by the C oracles and the mozilla::pkix harness (C++: hence the casts of malloc):
 * the JSON-lines protocol without a JSON library.
 *
 * Input lines are flat objects whose values are all strings:
 *   {"id": "<cert_id>|<n>", "cert": "<base64 DER>", "host": "<UTF-8 host>"}
 * Output lines are {"id": ..., "accepted": true|false, "detail": "..."}.
 *
 * Why hand-rolled: each oracle must link only the TLS library it speaks for, so that a
 * build failure names exactly one missing package.  The parser handles every JSON string
 * escape (including \uXXXX surrogate pairs, decoded to UTF-8) because hosts in the corpus
 * are Unicode; it keeps the decoded length so an embedded U+0000 is not silently lost.
 */
#ifndef MAILCERT_JSONL_H
#define MAILCERT_JSONL_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    char *id;
    unsigned char *der;
    size_t der_len;
    char *host;      /* NUL-terminated UTF-8; host_len counts bytes without the final NUL */
    size_t host_len;
} jl_case;

/* Read one line of any length; returns NULL at EOF.  Caller frees. */
static char *jl_read_line(FILE *in) {
    size_t cap = 4096, len = 0;
    char *buf = (char *)malloc(cap);
    int c;
    if (!buf) return NULL;
    while ((c = fgetc(in)) != EOF && c != '\n') {
        if (len + 1 >= cap) {
            cap *= 2;
            char *grown = (char *)realloc(buf, cap);
            if (!grown) { free(buf); return NULL; }
            buf = grown;
        }
        buf[len++] = (char)c;
    }
    if (c == EOF && len == 0) { free(buf); return NULL; }
    buf[len] = '\0';
    return buf;
}

static void jl_put_utf8(char **out, unsigned long cp) {
    char *o = *out;
    if (cp < 0x80) {
        *o++ = (char)cp;
    } else if (cp < 0x800) {
        *o++ = (char)(0xC0 | (cp >> 6));
        *o++ = (char)(0x80 | (cp & 0x3F));
    } else if (cp < 0x10000) {
        *o++ = (char)(0xE0 | (cp >> 12));
        *o++ = (char)(0x80 | ((cp >> 6) & 0x3F));
        *o++ = (char)(0x80 | (cp & 0x3F));
    } else {
        *o++ = (char)(0xF0 | (cp >> 18));
        *o++ = (char)(0x80 | ((cp >> 12) & 0x3F));
        *o++ = (char)(0x80 | ((cp >> 6) & 0x3F));
        *o++ = (char)(0x80 | (cp & 0x3F));
    }
    *out = o;
}

static int jl_hex4(const char *p, unsigned long *v) {
    unsigned long r = 0;
    for (int i = 0; i < 4; i++) {
        char ch = p[i];
        r <<= 4;
        if (ch >= '0' && ch <= '9') r |= (unsigned long)(ch - '0');
        else if (ch >= 'a' && ch <= 'f') r |= (unsigned long)(ch - 'a' + 10);
        else if (ch >= 'A' && ch <= 'F') r |= (unsigned long)(ch - 'A' + 10);
        else return 0;
    }
    *v = r;
    return 1;
}

/* Parse a JSON string starting at *pp (pointing at the opening quote). */
static char *jl_parse_string(const char **pp, size_t *out_len) {
    const char *p = *pp;
    if (*p != '"') return NULL;
    p++;
    char *res = (char *)malloc(strlen(p) * 4 + 1); /* \uXXXX never grows; this bound is generous */
    char *o = res;
    if (!res) return NULL;
    while (*p && *p != '"') {
        if (*p != '\\') { *o++ = *p++; continue; }
        p++;
        switch (*p) {
        case '"': *o++ = '"'; p++; break;
        case '\\': *o++ = '\\'; p++; break;
        case '/': *o++ = '/'; p++; break;
        case 'b': *o++ = '\b'; p++; break;
        case 'f': *o++ = '\f'; p++; break;
        case 'n': *o++ = '\n'; p++; break;
        case 'r': *o++ = '\r'; p++; break;
        case 't': *o++ = '\t'; p++; break;
        case 'u': {
            unsigned long cp, lo;
            if (!jl_hex4(p + 1, &cp)) { free(res); return NULL; }
            p += 5;
            if (cp >= 0xD800 && cp < 0xDC00 && p[0] == '\\' && p[1] == 'u' && jl_hex4(p + 2, &lo)
                && lo >= 0xDC00 && lo < 0xE000) {
                cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
                p += 6;
            }
            jl_put_utf8(&o, cp);
            break;
        }
        default: free(res); return NULL;
        }
    }
    if (*p != '"') { free(res); return NULL; }
    *o = '\0';
    *out_len = (size_t)(o - res);
    *pp = p + 1;
    return res;
}

static int jl_b64val(int c) {
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '+') return 62;
    if (c == '/') return 63;
    return -1;
}

static unsigned char *jl_b64decode(const char *s, size_t *out_len) {
    size_t n = strlen(s);
    unsigned char *out = (unsigned char *)malloc(n / 4 * 3 + 3);
    size_t o = 0;
    unsigned long acc = 0;
    int bits = 0;
    if (!out) return NULL;
    for (size_t i = 0; i < n; i++) {
        int v = jl_b64val((unsigned char)s[i]);
        if (s[i] == '=') break;
        if (v < 0) { free(out); return NULL; }
        acc = (acc << 6) | (unsigned long)v;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out[o++] = (unsigned char)((acc >> bits) & 0xFF);
        }
    }
    *out_len = o;
    return out;
}

static void jl_free_case(jl_case *c) {
    free(c->id);
    free(c->der);
    free(c->host);
    memset(c, 0, sizeof(*c));
}

/* Parse one input line; returns 1 on success, 0 on a malformed line (the id may be set). */
static int jl_parse_case(const char *line, jl_case *c) {
    const char *p = line;
    memset(c, 0, sizeof(*c));
    while (*p && *p != '{') p++;
    if (*p != '{') return 0;
    p++;
    for (;;) {
        while (*p == ' ' || *p == '\t' || *p == ',') p++;
        if (*p == '}' || *p == '\0') break;
        size_t klen, vlen;
        char *key = jl_parse_string(&p, &klen);
        if (!key) return 0;
        while (*p == ' ' || *p == ':') p++;
        char *val = jl_parse_string(&p, &vlen);
        if (!val) { free(key); return 0; }
        if (strcmp(key, "id") == 0) { free(c->id); c->id = val; }
        else if (strcmp(key, "host") == 0) { free(c->host); c->host = val; c->host_len = vlen; }
        else if (strcmp(key, "cert") == 0) {
            free(c->der);
            c->der = jl_b64decode(val, &c->der_len);
            free(val);
        } else free(val);
        free(key);
    }
    return c->id && c->host && c->der;
}

/* The string value of ``key`` in a flat JSON object line (NULL when absent or malformed).
 * The chain oracles' requests carry more fields than jl_case; caller frees. */
static char *jl_get(const char *line, const char *key, size_t *len) {
    const char *p = line;
    char *found = NULL;
    while (*p && *p != '{') p++;
    if (*p != '{') return NULL;
    p++;
    for (;;) {
        while (*p == ' ' || *p == '\t' || *p == ',') p++;
        if (*p == '}' || *p == '\0') break;
        size_t klen, vlen;
        char *k = jl_parse_string(&p, &klen);
        if (!k) break;
        while (*p == ' ' || *p == ':') p++;
        char *val = jl_parse_string(&p, &vlen);
        if (!val) { free(k); break; }
        if (!found && strcmp(k, key) == 0) { found = val; if (len) *len = vlen; }
        else free(val);
        free(k);
    }
    return found;
}

/* The space-separated base64 items of a chain request field, decoded; returns the count
 * (at most max) and fills ders/lens, which the caller frees. */
static size_t jl_split_der(const char *field, unsigned char **ders, size_t *lens, size_t max) {
    size_t n = 0;
    const char *p = field;
    while (*p && n < max) {
        while (*p == ' ') p++;
        if (!*p) break;
        const char *end = strchr(p, ' ');
        size_t l = end ? (size_t)(end - p) : strlen(p);
        char *item = strndup(p, l);
        ders[n] = jl_b64decode(item, &lens[n]);
        free(item);
        if (ders[n]) n++;
        p += l;
    }
    return n;
}

/* Write s as a JSON string; bytes that are not valid UTF-8 become \u00XX (Latin-1 view). */
static void jl_write_string(FILE *out, const char *s, size_t len) {
    fputc('"', out);
    for (size_t i = 0; i < len; i++) {
        unsigned char ch = (unsigned char)s[i];
        if (ch == '"') fputs("\\\"", out);
        else if (ch == '\\') fputs("\\\\", out);
        else if (ch < 0x20 || ch == 0x7F) fprintf(out, "\\u%04x", ch);
        else if (ch < 0x80) fputc(ch, out);
        else {
            /* pass through well-formed UTF-8 sequences, escape stray bytes */
            size_t need = (ch >= 0xC2 && ch <= 0xDF) ? 1 : (ch >= 0xE0 && ch <= 0xEF) ? 2
                        : (ch >= 0xF0 && ch <= 0xF4) ? 3 : 0;
            int ok = need > 0 && i + need < len;
            for (size_t k = 1; ok && k <= need; k++)
                if (((unsigned char)s[i + k] & 0xC0) != 0x80) ok = 0;
            if (ok) {
                fwrite(s + i, 1, need + 1, out);
                i += need;
            } else {
                fprintf(out, "\\u%04x", ch);
            }
        }
    }
    fputc('"', out);
}

static void jl_emit(FILE *out, const char *id, int accepted, const char *detail) {
    fputs("{\"id\": ", out);
    jl_write_string(out, id ? id : "", id ? strlen(id) : 0);
    fprintf(out, ", \"accepted\": %s, \"detail\": ", accepted ? "true" : "false");
    jl_write_string(out, detail ? detail : "", detail ? strlen(detail) : 0);
    fputs("}\n", out);
    fflush(out);
}

#endif
