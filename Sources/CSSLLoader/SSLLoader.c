// OpenSSL loaded on first use. libcrypto is linked with BIND_NOW by Debian: merely linking it
// resolves thousands of symbols at start and costs about 1.9 MiB of resident memory in a process
// that may never speak TLS. Each function Swiftlet calls is defined here as a forwarder that
// loads libssl.so.3 once (dlopen) and calls the library's own function (dlsym, cached). The
// forwarders are hidden, so that libssl's own references never bind to them.
#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <openssl/ssl.h>
#include <openssl/err.h>
#include <openssl/x509v3.h>
#include <openssl/pem.h>
#include <openssl/evp.h>
#include <openssl/ec.h>
#include "CSSLLoader.h"

static void *library;
static char failure[256];
static pthread_once_t once = PTHREAD_ONCE_INIT;

static void load(void) {
    library = dlopen("libssl.so.3", RTLD_NOW | RTLD_LOCAL);
    if (!library) snprintf(failure, sizeof failure, "%s", dlerror());
}

int swiftlet_ssl_load(char *error, unsigned long length) {
    pthread_once(&once, load);
    if (!library && error && length) snprintf(error, length, "OpenSSL 3 (libssl3) is needed and could not be loaded: %s", failure);
    return library != NULL;
}

int swiftlet_ssl_loaded(void) {
    return __atomic_load_n(&library, __ATOMIC_ACQUIRE) != NULL;
}

static void *symbol(const char *name) {
    pthread_once(&once, load);
    void *found = library ? dlsym(library, name) : NULL;
    if (!found) {
        fprintf(stderr, "swiftlet: OpenSSL function %s unavailable: %s\n", name, library ? "not in libssl.so.3" : failure);
        abort();
    }
    return found;
}

#define RESOLVE(name) \
    static void *cached; \
    void *fn = __atomic_load_n(&cached, __ATOMIC_ACQUIRE); \
    if (!fn) { fn = symbol(#name); __atomic_store_n(&cached, fn, __ATOMIC_RELEASE); }

#define FORWARD(ret, name, params, args) \
    __attribute__((visibility("hidden"))) ret name params { RESOLVE(name) return ((ret (*) params)fn) args; }
#define FORWARD_VOID(name, params, args) \
    __attribute__((visibility("hidden"))) void name params { RESOLVE(name) ((void (*) params)fn) args; }

// ssl.h
FORWARD(int, OPENSSL_init_ssl, (uint64_t opts, const OPENSSL_INIT_SETTINGS *settings), (opts, settings))
FORWARD_VOID(SSL_CTX_set_security_level, (SSL_CTX *ctx, int level), (ctx, level))
FORWARD(const SSL_METHOD *, TLS_server_method, (void), ())
FORWARD(const SSL_METHOD *, TLS_client_method, (void), ())
FORWARD(SSL_CTX *, SSL_CTX_new, (const SSL_METHOD *meth), (meth))
FORWARD_VOID(SSL_CTX_free, (SSL_CTX *ctx), (ctx))
FORWARD(long, SSL_CTX_ctrl, (SSL_CTX *ctx, int cmd, long larg, void *parg), (ctx, cmd, larg, parg))
FORWARD(uint64_t, SSL_CTX_set_options, (SSL_CTX *ctx, uint64_t op), (ctx, op))
FORWARD(int, SSL_CTX_set_cipher_list, (SSL_CTX *ctx, const char *str), (ctx, str))
FORWARD(int, SSL_CTX_set_ciphersuites, (SSL_CTX *ctx, const char *str), (ctx, str))
FORWARD(int, SSL_CTX_use_certificate, (SSL_CTX *ctx, X509 *x), (ctx, x))
FORWARD(int, SSL_CTX_use_PrivateKey, (SSL_CTX *ctx, EVP_PKEY *pkey), (ctx, pkey))
FORWARD(int, SSL_CTX_check_private_key, (const SSL_CTX *ctx), (ctx))
FORWARD(int, SSL_CTX_set_session_id_context, (SSL_CTX *ctx, const unsigned char *sid, unsigned int length), (ctx, sid, length))
FORWARD_VOID(SSL_CTX_set_alpn_select_cb, (SSL_CTX *ctx, SSL_CTX_alpn_select_cb_func cb, void *arg), (ctx, cb, arg))
FORWARD(X509_STORE *, SSL_CTX_get_cert_store, (const SSL_CTX *ctx), (ctx))
FORWARD(int, SSL_CTX_add_client_CA, (SSL_CTX *ctx, X509 *x), (ctx, x))
FORWARD_VOID(SSL_CTX_set_verify, (SSL_CTX *ctx, int mode, SSL_verify_cb callback), (ctx, mode, callback))
FORWARD(int, SSL_CTX_set_default_verify_paths, (SSL_CTX *ctx), (ctx))
FORWARD(const char *, OPENSSL_cipher_name, (const char *name), (name))
FORWARD(SSL *, SSL_new, (SSL_CTX *ctx), (ctx))
FORWARD_VOID(SSL_free, (SSL *ssl), (ssl))
FORWARD(long, SSL_ctrl, (SSL *ssl, int cmd, long larg, void *parg), (ssl, cmd, larg, parg))
FORWARD_VOID(SSL_set_bio, (SSL *s, BIO *rbio, BIO *wbio), (s, rbio, wbio))
FORWARD_VOID(SSL_set_accept_state, (SSL *s), (s))
FORWARD_VOID(SSL_set_connect_state, (SSL *s), (s))
FORWARD(int, SSL_set1_host, (SSL *s, const char *hostname), (s, hostname))
FORWARD(X509_VERIFY_PARAM *, SSL_get0_param, (SSL *ssl), (ssl))
FORWARD(int, SSL_set_alpn_protos, (SSL *ssl, const unsigned char *protos, unsigned int length), (ssl, protos, length))
FORWARD_VOID(SSL_get0_alpn_selected, (const SSL *ssl, const unsigned char **data, unsigned int *len), (ssl, data, len))
FORWARD(int, SSL_do_handshake, (SSL *s), (s))
FORWARD(int, SSL_read, (SSL *ssl, void *buf, int num), (ssl, buf, num))
FORWARD(int, SSL_write, (SSL *ssl, const void *buf, int num), (ssl, buf, num))
FORWARD(int, SSL_shutdown, (SSL *s), (s))
FORWARD(int, SSL_get_error, (const SSL *s, int ret), (s, ret))
FORWARD(long, SSL_get_verify_result, (const SSL *ssl), (ssl))
FORWARD(X509 *, SSL_get1_peer_certificate, (const SSL *s), (s))

// bio.h, err.h, crypto.h
FORWARD(const BIO_METHOD *, BIO_s_mem, (void), ())
FORWARD(BIO *, BIO_new, (const BIO_METHOD *type), (type))
FORWARD(BIO *, BIO_new_mem_buf, (const void *buf, int len), (buf, len))
FORWARD(int, BIO_free, (BIO *a), (a))
FORWARD(int, BIO_read, (BIO *b, void *data, int length), (b, data, length))
FORWARD(int, BIO_write, (BIO *b, const void *data, int length), (b, data, length))
FORWARD(long, BIO_ctrl, (BIO *bp, int cmd, long larg, void *parg), (bp, cmd, larg, parg))
FORWARD(int, BIO_get_new_index, (void), ())
FORWARD(BIO_METHOD *, BIO_meth_new, (int type, const char *name), (type, name))
FORWARD(int, BIO_meth_set_read_ex, (BIO_METHOD *biom, int (*bread)(BIO *, char *, size_t, size_t *)), (biom, bread))
FORWARD(int, BIO_meth_set_write_ex, (BIO_METHOD *biom, int (*bwrite)(BIO *, const char *, size_t, size_t *)), (biom, bwrite))
FORWARD(int, BIO_meth_set_ctrl, (BIO_METHOD *biom, long (*ctrl)(BIO *, int, long, void *)), (biom, ctrl))
FORWARD_VOID(BIO_set_data, (BIO *a, void *ptr), (a, ptr))
FORWARD(void *, BIO_get_data, (BIO *a), (a))
FORWARD_VOID(BIO_set_init, (BIO *a, int init), (a, init))
FORWARD_VOID(BIO_set_flags, (BIO *b, int flags), (b, flags))
FORWARD_VOID(BIO_clear_flags, (BIO *b, int flags), (b, flags))
FORWARD(unsigned long, ERR_get_error, (void), ())
FORWARD_VOID(ERR_clear_error, (void), ())
FORWARD_VOID(ERR_error_string_n, (unsigned long e, char *buf, size_t len), (e, buf, len))
FORWARD_VOID(CRYPTO_free, (void *ptr, const char *file, int line), (ptr, file, line))
FORWARD(int, CRYPTO_memcmp, (const void *a, const void *b, size_t len), (a, b, len))

// x509.h, pem.h, asn1.h
FORWARD(X509 *, PEM_read_bio_X509, (BIO *bp, X509 **x, pem_password_cb *cb, void *u), (bp, x, cb, u))
FORWARD(EVP_PKEY *, PEM_read_bio_PrivateKey, (BIO *bp, EVP_PKEY **x, pem_password_cb *cb, void *u), (bp, x, cb, u))
FORWARD(int, PEM_write_bio_X509, (BIO *bp, const X509 *x), (bp, x))
FORWARD(int, PEM_write_bio_PrivateKey, (BIO *bp, const EVP_PKEY *x, const EVP_CIPHER *enc, const unsigned char *kstr, int klen,
                                        pem_password_cb *cb, void *u), (bp, x, enc, kstr, klen, cb, u))
FORWARD(X509 *, X509_new, (void), ())
FORWARD_VOID(X509_free, (X509 *a), (a))
FORWARD(int, X509_STORE_add_cert, (X509_STORE *store, X509 *x), (store, x))
FORWARD(int, X509_cmp_current_time, (const ASN1_TIME *s), (s))
FORWARD(const ASN1_TIME *, X509_get0_notAfter, (const X509 *x), (x))
FORWARD(const ASN1_TIME *, X509_get0_notBefore, (const X509 *x), (x))
FORWARD(ASN1_TIME *, X509_getm_notAfter, (const X509 *x), (x))
FORWARD(ASN1_TIME *, X509_getm_notBefore, (const X509 *x), (x))
FORWARD(X509_NAME *, X509_get_subject_name, (const X509 *a), (a))
FORWARD(char *, X509_NAME_oneline, (const X509_NAME *a, char *buf, int size), (a, buf, size))
FORWARD(int, X509_NAME_add_entry_by_txt, (X509_NAME *name, const char *field, int type, const unsigned char *bytes, int len,
                                          int loc, int set), (name, field, type, bytes, len, loc, set))
FORWARD(int, X509_set_issuer_name, (X509 *x, const X509_NAME *name), (x, name))
FORWARD(int, X509_set_pubkey, (X509 *x, EVP_PKEY *pkey), (x, pkey))
FORWARD(int, X509_set_version, (X509 *x, long version), (x, version))
FORWARD(ASN1_INTEGER *, X509_get_serialNumber, (X509 *x), (x))
FORWARD(ASN1_TIME *, X509_gmtime_adj, (ASN1_TIME *s, long adj), (s, adj))
FORWARD(int, X509_sign, (X509 *x, EVP_PKEY *pkey, const EVP_MD *md), (x, pkey, md))
FORWARD(const char *, X509_verify_cert_error_string, (long n), (n))
FORWARD(int, X509_VERIFY_PARAM_set1_ip_asc, (X509_VERIFY_PARAM *param, const char *ip), (param, ip))
FORWARD(int, ASN1_INTEGER_set, (ASN1_INTEGER *a, long v), (a, v))
FORWARD(int, ASN1_TIME_to_tm, (const ASN1_TIME *s, struct tm *tm), (s, tm))

// evp.h, ec.h
FORWARD(const EVP_MD *, EVP_md5, (void), ())
FORWARD(const EVP_MD *, EVP_sha1, (void), ())
FORWARD(const EVP_MD *, EVP_sha256, (void), ())
FORWARD(const EVP_MD *, EVP_sha512, (void), ())
FORWARD(int, EVP_Digest, (const void *data, size_t count, unsigned char *md, unsigned int *size, const EVP_MD *type, ENGINE *impl),
        (data, count, md, size, type, impl))
FORWARD(EVP_PKEY_CTX *, EVP_PKEY_CTX_new_id, (int id, ENGINE *e), (id, e))
FORWARD_VOID(EVP_PKEY_CTX_free, (EVP_PKEY_CTX *ctx), (ctx))
FORWARD(int, EVP_PKEY_keygen_init, (EVP_PKEY_CTX *ctx), (ctx))
FORWARD(int, EVP_PKEY_keygen, (EVP_PKEY_CTX *ctx, EVP_PKEY **pkey), (ctx, pkey))
FORWARD(int, EVP_PKEY_CTX_set_ec_paramgen_curve_nid, (EVP_PKEY_CTX *ctx, int nid), (ctx, nid))
FORWARD_VOID(EVP_PKEY_free, (EVP_PKEY *pkey), (pkey))
