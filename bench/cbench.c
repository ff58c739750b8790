/*
 * The C baseline of the benchmark: every workload of bench/workloads.py written
 * directly against libssl/libcrypto, doing the same calls a binding has to make
 * and nothing more.  It is the limit a Python binding can approach.
 *
 *   cbench DATADIR WORKLOAD SECONDS [PARAM [cpu|wall]]   one timed run, one JSON line
 *   cbench DATADIR version                    the linked OpenSSL
 *
 * A negative SECONDS runs exactly that many operations (for profiling).
 *
 * WORKLOAD is one of W1-ecdsa W1-rsa W2 W3 W4 W4b W5 W6 W7-rsa W7-ec
 * W8-rtt W8-bulk W9 mem-cert mem-handshake; see bench/README.md.
 * Every workload checks its own result and exits 1 (with a message on
 * stderr) when it did not do its work.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <openssl/bio.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#define BIO_CHUNK 65536   /* what every implementation passes to bio_read */
#define APP_CHUNK 16384   /* what every implementation passes to recv */

static const char *datadir;

static void
die(const char *what)
{
    fprintf(stderr, "cbench: %s\n", what);
    ERR_print_errors_fp(stderr);
    exit(1);
}

static double
now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* The clock a run is measured with: the calling thread's CPU time by default
 * (steady on a shared machine), wall time with "wall" as the fifth argument.
 * W8 and W9 always use wall time. */
static int use_cpu_clock = 1;

static double
clk(void)
{
    if (!use_cpu_clock) {
        return now();
    }
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static char *
read_file(const char *name, long *len)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", datadir, name);
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        die(path);
    }
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *buf = malloc((size_t)n + 1);
    if (buf == NULL || fread(buf, 1, (size_t)n, f) != (size_t)n) {
        die("read");
    }
    buf[n] = 0;
    fclose(f);
    if (len) {
        *len = n;
    }
    return buf;
}

static long
rss_kib(void)
{
    FILE *f = fopen("/proc/self/statm", "r");
    long size = 0, resident = 0;
    if (f == NULL || fscanf(f, "%ld %ld", &size, &resident) != 2) {
        die("statm");
    }
    fclose(f);
    return resident * (sysconf(_SC_PAGESIZE) / 1024);
}

/* ---- TLS contexts --------------------------------------------------------- */

static SSL_CTX *
make_ctx(int server, const char *kind)
{
    SSL_CTX *ctx = SSL_CTX_new(TLS_method());
    if (ctx == NULL || !SSL_CTX_set_min_proto_version(ctx, TLS1_3_VERSION)
        /* The one group every implementation can pin through its API. */
        || !SSL_CTX_set1_groups_list(ctx, "P-256")) {
        die("SSL_CTX_new");
    }
    if (server) {
        char path[4096];
        snprintf(path, sizeof path, "%s/%s-cert.pem", datadir, kind);
        if (SSL_CTX_use_certificate_file(ctx, path, SSL_FILETYPE_PEM) != 1) {
            die(path);
        }
        snprintf(path, sizeof path, "%s/%s-key.pem", datadir, kind);
        if (SSL_CTX_use_PrivateKey_file(ctx, path, SSL_FILETYPE_PEM) != 1) {
            die(path);
        }
    }
    SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, NULL);
    return ctx;
}

static void
check_session(SSL *ssl)
{
    if (SSL_version(ssl) != TLS1_3_VERSION) {
        die("not TLS 1.3");
    }
    if (strcmp(SSL_get_cipher_name(ssl), "TLS_AES_256_GCM_SHA384") != 0) {
        die("unexpected cipher");
    }
    if (SSL_get_negotiated_group(ssl) != NID_X9_62_prime256v1) {
        die("unexpected group");
    }
}

/* ---- memory-BIO pairs (W1, W2, W3, W9) ------------------------------------ */

typedef struct {
    SSL *ssl;
    BIO *in;  /* what Connection.bio_write feeds */
    BIO *out; /* what Connection.bio_read drains */
} mem_conn;

static void
mem_conn_new(mem_conn *c, SSL_CTX *ctx, int server)
{
    c->ssl = SSL_new(ctx);
    c->in = BIO_new(BIO_s_mem());
    c->out = BIO_new(BIO_s_mem());
    if (c->ssl == NULL || c->in == NULL || c->out == NULL) {
        die("SSL_new");
    }
    SSL_set_bio(c->ssl, c->in, c->out);
    if (server) {
        SSL_set_accept_state(c->ssl);
    }
    else {
        SSL_set_connect_state(c->ssl);
    }
}

/* Moves what src wrote to dst, as one bio_read + one bio_write. */
static int
pump(mem_conn *src, mem_conn *dst, unsigned char *buf)
{
    int n = BIO_read(src->out, buf, BIO_CHUNK);
    if (n <= 0) {
        return 0;
    }
    if (BIO_write(dst->in, buf, n) != n) {
        die("BIO_write");
    }
    return n;
}

static int
step_handshake(SSL *ssl)
{
    int rc = SSL_do_handshake(ssl);
    if (rc == 1) {
        return 1;
    }
    if (SSL_get_error(ssl, rc) != SSL_ERROR_WANT_READ) {
        die("handshake");
    }
    return 0;
}

static void
mem_handshake(mem_conn *c, mem_conn *s, unsigned char *buf)
{
    int c_done = 0, s_done = 0;
    for (int round = 0; !(c_done && s_done); round++) {
        if (round > 10) {
            die("handshake did not finish");
        }
        if (!c_done) {
            c_done = step_handshake(c->ssl);
        }
        pump(c, s, buf);
        if (!s_done) {
            s_done = step_handshake(s->ssl);
        }
        pump(s, c, buf);
    }
}

static void
mem_free(mem_conn *c)
{
    SSL_free(c->ssl); /* frees both BIOs */
}

static SSL_CTX *w1_cctx, *w1_sctx;

static double
one_handshake(unsigned char *buf, int check)
{
    mem_conn c, s;
    mem_conn_new(&c, w1_cctx, 0);
    mem_conn_new(&s, w1_sctx, 1);
    mem_handshake(&c, &s, buf);
    if (check) {
        check_session(c.ssl);
    }
    mem_free(&c);
    mem_free(&s);
    return 1;
}

/* One direction of application data: write `len` bytes in `chunk`-byte
 * writes from c to s, each write pumped across and read back at once. */
static double
mem_stream(long total, int chunk, int check, double *seconds)
{
    static unsigned char bio_buf[BIO_CHUNK];
    static unsigned char app_buf[APP_CHUNK];
    unsigned char payload[APP_CHUNK];
    for (int i = 0; i < chunk; i++) {
        payload[i] = (unsigned char)(i * 7 + 3);
    }
    mem_conn c, s;
    mem_conn_new(&c, w1_cctx, 0);
    mem_conn_new(&s, w1_sctx, 1);
    mem_handshake(&c, &s, bio_buf);
    double t0 = clk();
    long sent = 0, received = 0;
    while (sent < total) {
        if (SSL_write(c.ssl, payload, chunk) != chunk) {
            die("SSL_write");
        }
        sent += chunk;
        pump(&c, &s, bio_buf);
        int got = 0;
        while (got < chunk) {
            int n = SSL_read(s.ssl, app_buf, APP_CHUNK);
            if (n <= 0) {
                die("SSL_read");
            }
            got += n;
        }
        received += got;
    }
    *seconds = clk() - t0;
    if (check && (received != sent || memcmp(app_buf, payload, (size_t)chunk) != 0)) {
        die("bytes in != bytes out");
    }
    mem_free(&c);
    mem_free(&s);
    return (double)total;
}

/* ---- certificates (W4, W4b, W5, W6, W7) ----------------------------------- */

static char *leaf_pem;
static long leaf_len;
static X509 *leaf;
static EVP_PKEY *ec_key;

static X509 *
load_leaf(void)
{
    BIO *bio = BIO_new_mem_buf(leaf_pem, (int)leaf_len);
    X509 *x = PEM_read_bio_X509(bio, NULL, NULL, NULL);
    BIO_free(bio);
    if (x == NULL) {
        die("load");
    }
    return x;
}

static double
w4(void)
{
    X509_free(load_leaf());
    return 1;
}

static double
w4b(void)
{
    BIO *bio = BIO_new(BIO_s_mem());
    if (bio == NULL || !PEM_write_bio_X509(bio, leaf)) {
        die("dump");
    }
    char *data;
    long n = BIO_get_mem_data(bio, &data);
    /* The binding hands back a new bytes object: one copy. */
    char *copy = malloc((size_t)n);
    memcpy(copy, data, (size_t)n);
    if (n != leaf_len || memcmp(copy, leaf_pem, (size_t)n) != 0) {
        die("dump != load");
    }
    free(copy);
    BIO_free(bio);
    return 1;
}

static char *
name_cn(const X509_NAME *name)
{
    int i = X509_NAME_get_index_by_NID(name, NID_commonName, -1);
    if (i < 0) {
        die("no CN");
    }
    unsigned char *utf8 = NULL;
    int n = ASN1_STRING_to_UTF8(&utf8, X509_NAME_ENTRY_get_data(X509_NAME_get_entry(name, i)));
    if (n < 0) {
        die("CN");
    }
    char *s = strndup((char *)utf8, (size_t)n);
    OPENSSL_free(utf8);
    return s;
}

static double
w5(void)
{
    static char expect_cn[256], expect_digest[3 * EVP_MAX_MD_SIZE + 1];
    int ok = 1;
    /* subject CN */
    char *cn = name_cn(X509_get_subject_name(leaf));
    /* issuer: every (short name, value) pair */
    const X509_NAME *issuer = X509_get_issuer_name(leaf);
    int entries = X509_NAME_entry_count(issuer);
    for (int i = 0; i < entries; i++) {
        const X509_NAME_ENTRY *e = X509_NAME_get_entry(issuer, i);
        const char *sn = OBJ_nid2sn(OBJ_obj2nid(X509_NAME_ENTRY_get_object(e)));
        const ASN1_STRING *v = X509_NAME_ENTRY_get_data(e);
        char *a = strdup(sn);
        char *b = strndup((const char *)ASN1_STRING_get0_data(v), (size_t)ASN1_STRING_length(v));
        ok &= a[0] != 0 && b[0] != 0;
        free(a);
        free(b);
    }
    /* notAfter as GeneralizedTime text */
    ASN1_GENERALIZEDTIME *gt = ASN1_TIME_to_generalizedtime(X509_get0_notAfter(leaf), NULL);
    char *not_after = strndup((const char *)ASN1_STRING_get0_data(gt), (size_t)ASN1_STRING_length(gt));
    ok &= strlen(not_after) == 15;
    ASN1_GENERALIZEDTIME_free(gt);
    free(not_after);
    /* serial as an integer */
    BIGNUM *bn = ASN1_INTEGER_to_BN(X509_get0_serialNumber(leaf), NULL);
    unsigned char serial[64];
    ok &= BN_bn2bin(bn, serial) > 0;
    BN_free(bn);
    /* SHA-256 fingerprint, AB:CD:... */
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int mdlen = 0;
    if (!X509_digest(leaf, EVP_sha256(), md, &mdlen)) {
        die("digest");
    }
    char digest[3 * EVP_MAX_MD_SIZE + 1];
    static const char hex[] = "0123456789ABCDEF";
    for (unsigned int i = 0; i < mdlen; i++) {
        digest[3 * i] = hex[md[i] >> 4];
        digest[3 * i + 1] = hex[md[i] & 15];
        digest[3 * i + 2] = ':';
    }
    digest[3 * mdlen - 1] = 0;
    /* every extension: short name and printed value */
    int count = X509_get_ext_count(leaf);
    for (int i = 0; i < count; i++) {
        X509_EXTENSION *ext = X509_get_ext(leaf, i);
        const char *sn = OBJ_nid2sn(OBJ_obj2nid(X509_EXTENSION_get_object(ext)));
        BIO *bio = BIO_new(BIO_s_mem());
        if (!X509V3_EXT_print(bio, ext, 0, 0)) {
            die("X509V3_EXT_print");
        }
        char *data;
        long n = BIO_get_mem_data(bio, &data);
        char *text = strndup(data, (size_t)n);
        ok &= sn != NULL && n > 0;
        free(text);
        BIO_free(bio);
    }
    if (expect_cn[0] == 0) {
        snprintf(expect_cn, sizeof expect_cn, "%s", cn);
        snprintf(expect_digest, sizeof expect_digest, "%s", digest);
    }
    ok &= strcmp(cn, "bench.example.com") == 0 && strcmp(digest, expect_digest) == 0
          && count == 6;
    free(cn);
    if (!ok) {
        die("accessors gave wrong values");
    }
    return 1;
}

static void
add_ext(X509 *x, X509V3_CTX *ctx, int nid, const char *value, int critical)
{
    X509_EXTENSION *ext = X509V3_EXT_nconf_nid(NULL, ctx, nid, value);
    if (ext == NULL || !X509_EXTENSION_set_critical(ext, critical) || !X509_add_ext(x, ext, -1)) {
        die("extension");
    }
    X509_EXTENSION_free(ext);
}

static double
w6(void)
{
    X509 *x = X509_new();
    if (x == NULL || !X509_set_version(x, 2)) {
        die("X509_new");
    }
    ASN1_INTEGER_set(X509_get_serialNumber(x), 0x1234567);
    X509_NAME *name = X509_NAME_new();
    X509_NAME_add_entry_by_NID(name, NID_commonName, MBSTRING_UTF8,
                               (const unsigned char *)"signed.example.com", -1, -1, 0);
    X509_set_subject_name(x, name);
    X509_set_issuer_name(x, name);
    X509_NAME_free(name);
    X509_gmtime_adj(X509_getm_notBefore(x), 0);
    X509_gmtime_adj(X509_getm_notAfter(x), 30L * 24 * 3600);
    X509_set_pubkey(x, ec_key);
    X509V3_CTX ctx;
    X509V3_set_ctx(&ctx, NULL, x, NULL, NULL, 0);
    add_ext(x, &ctx, NID_basic_constraints, "CA:FALSE", 1);
    add_ext(x, &ctx, NID_key_usage, "digitalSignature", 1);
    add_ext(x, &ctx, NID_subject_alt_name, "DNS:signed.example.com,DNS:www.example.com", 0);
    if (!X509_sign(x, ec_key, EVP_sha256())) {
        die("X509_sign");
    }
    const ASN1_BIT_STRING *sig = NULL;
    X509_get0_signature(&sig, NULL, x);
    if (X509_get_ext_count(x) != 3 || sig == NULL || sig->length == 0) {
        die("certificate incomplete");
    }
    X509_free(x);
    return 1;
}

static double
w7(const char *type)
{
    EVP_PKEY *key = strcmp(type, "RSA") == 0 ? EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048)
                                             : EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
    if (key == NULL || EVP_PKEY_get_bits(key) != (strcmp(type, "RSA") == 0 ? 2048 : 256)) {
        die("keygen");
    }
    EVP_PKEY_free(key);
    return 1;
}

/* ---- TCP on loopback (W8) ------------------------------------------------- */

static void
sock_opts(int fd)
{
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
}

static int
ssl_read_full(SSL *ssl, unsigned char *buf, int want)
{
    int got = 0;
    while (got < want) {
        int n = SSL_read(ssl, buf + got, want - got);
        if (n <= 0) {
            return -1;
        }
        got += n;
    }
    return got;
}

static void
ssl_write_all(SSL *ssl, const unsigned char *buf, int len)
{
    if (SSL_write(ssl, buf, len) != len) { /* blocking socket: all or error */
        die("SSL_write");
    }
}

/* One connection: the server is a forked child; returns the seconds the
 * client spent on the measured exchange (the handshake is not counted). */
static double
tcp_exchange(int bulk, long amount, double *seconds)
{
    static unsigned char buf[APP_CHUNK];
    int lfd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in addr = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t alen = sizeof addr;
    if (lfd < 0 || bind(lfd, (struct sockaddr *)&addr, sizeof addr) < 0 || listen(lfd, 1) < 0
        || getsockname(lfd, (struct sockaddr *)&addr, &alen) < 0) {
        die("listen");
    }
    pid_t pid = fork();
    if (pid == 0) {
        int fd = accept(lfd, NULL, NULL);
        sock_opts(fd);
        SSL *s = SSL_new(w1_sctx);
        SSL_set_fd(s, fd);
        if (SSL_accept(s) != 1) {
            _exit(2);
        }
        if (bulk) {
            long got = 0;
            while (got < amount) {
                int n = SSL_read(s, buf, APP_CHUNK);
                if (n <= 0) {
                    _exit(3);
                }
                got += n;
            }
            ssl_write_all(s, (const unsigned char *)"k", 1);
        }
        else {
            for (long i = 0; i < amount; i++) {
                if (ssl_read_full(s, buf, 1024) != 1024) {
                    _exit(3);
                }
                ssl_write_all(s, buf, 1024);
            }
        }
        SSL_free(s);
        close(fd);
        _exit(0);
    }
    close(lfd);
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (connect(fd, (struct sockaddr *)&addr, sizeof addr) < 0) {
        die("connect");
    }
    sock_opts(fd);
    SSL *c = SSL_new(w1_cctx);
    SSL_set_fd(c, fd);
    if (SSL_connect(c) != 1) {
        die("SSL_connect");
    }
    check_session(c);
    unsigned char payload[APP_CHUNK], back[1024];
    for (int i = 0; i < APP_CHUNK; i++) {
        payload[i] = (unsigned char)(i * 13 + 1);
    }
    double t0 = now();
    if (bulk) {
        for (long sent = 0; sent < amount; sent += APP_CHUNK) {
            ssl_write_all(c, payload, APP_CHUNK);
        }
        if (ssl_read_full(c, back, 1) != 1 || back[0] != 'k') {
            die("no acknowledgement");
        }
    }
    else {
        for (long i = 0; i < amount; i++) {
            ssl_write_all(c, payload, 1024);
            if (ssl_read_full(c, back, 1024) != 1024 || memcmp(back, payload, 1024) != 0) {
                die("echo differs");
            }
        }
    }
    *seconds = now() - t0;
    SSL_free(c);
    close(fd);
    int status;
    waitpid(pid, &status, 0);
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        die("server side failed");
    }
    return (double)amount;
}

/* ---- W9: handshakes in one and two threads -------------------------------- */

typedef struct {
    double seconds;
    long count;
} hs_job;

static void *
hs_thread(void *arg)
{
    hs_job *job = arg;
    unsigned char *buf = malloc(BIO_CHUNK);
    double t0 = now();
    long n = 0;
    do {
        one_handshake(buf, n == 0);
        n++;
    } while (now() - t0 < job->seconds);
    job->seconds = now() - t0;
    job->count = n;
    free(buf);
    return NULL;
}

static double
handshake_rate(int threads, double seconds)
{
    pthread_t tid[2];
    hs_job jobs[2];
    for (int i = 0; i < threads; i++) {
        jobs[i].seconds = seconds;
        pthread_create(&tid[i], NULL, hs_thread, &jobs[i]);
    }
    double rate = 0;
    for (int i = 0; i < threads; i++) {
        pthread_join(tid[i], NULL);
        rate += jobs[i].count / jobs[i].seconds;
    }
    return rate;
}

/* ---- driver --------------------------------------------------------------- */

int
main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: cbench DATADIR WORKLOAD [SECONDS [PARAM]]\n");
        return 2;
    }
    datadir = argv[1];
    const char *wl = argv[2];
    double seconds = argc > 3 ? atof(argv[3]) : 1.0;
    long param = argc > 4 ? atol(argv[4]) : 0;
    use_cpu_clock = !(argc > 5 && strcmp(argv[5], "wall") == 0);
    if (strcmp(wl, "version") == 0) {
        printf("%s\n", OpenSSL_version(OPENSSL_VERSION));
        return 0;
    }

    const char *kind = strcmp(wl, "W1-rsa") == 0 ? "rsa" : "ec";
    w1_cctx = make_ctx(0, kind);
    w1_sctx = make_ctx(1, kind);
    leaf_pem = read_file("leaf.pem", &leaf_len);
    leaf = load_leaf();
    long keylen;
    char *key_pem = read_file("ec-key.pem", &keylen);
    BIO *kb = BIO_new_mem_buf(key_pem, (int)keylen);
    ec_key = PEM_read_bio_PrivateKey(kb, NULL, NULL, NULL);
    BIO_free(kb);
    if (ec_key == NULL) {
        die("ec key");
    }
    unsigned char *buf = malloc(BIO_CHUNK);

    if (strcmp(wl, "W9") == 0) {
        double one = handshake_rate(1, seconds / 2);
        double two = handshake_rate(2, seconds / 2);
        printf("{\"units\": %.6f, \"seconds\": 1.0, \"rate1\": %.3f, \"rate2\": %.3f}\n",
               two / one, one, two);
        return 0;
    }
    if (strncmp(wl, "mem-", 4) == 0) {
        long iterations = param > 0 ? param : 100000;
        long warm = iterations / 100 > 0 ? iterations / 100 : 1;
        long before = 0;
        for (long i = 0; i < iterations + warm; i++) {
            if (i == warm) {
                before = rss_kib();
            }
            if (strcmp(wl, "mem-cert") == 0) {
                X509 *saved = leaf;
                leaf = load_leaf();
                w5();
                X509_free(leaf);
                leaf = saved;
            }
            else {
                one_handshake(buf, i == 0);
            }
        }
        printf("{\"rss_before_kib\": %ld, \"rss_after_kib\": %ld, \"iterations\": %ld}\n",
               before, rss_kib(), iterations);
        return 0;
    }

    double units = 0, spent = 0;
    long ops = 0;
    double t0 = now();
    do {
        int check = ops == 0;
        double t1 = clk(), measured = -1;
        if (strcmp(wl, "W1-ecdsa") == 0 || strcmp(wl, "W1-rsa") == 0) {
            units += one_handshake(buf, check);
        }
        else if (strcmp(wl, "W2") == 0) {
            /* Not counting the handshake: it is W1's business. */
            units += mem_stream(param, APP_CHUNK, 1, &measured);
        }
        else if (strcmp(wl, "W3") == 0) {
            units += mem_stream(param * 64, 64, 1, &measured) / 64;
        }
        else if (strcmp(wl, "W4") == 0) {
            units += w4();
        }
        else if (strcmp(wl, "W4b") == 0) {
            units += w4b();
        }
        else if (strcmp(wl, "W5") == 0) {
            units += w5();
        }
        else if (strcmp(wl, "W6") == 0) {
            units += w6();
        }
        else if (strcmp(wl, "W7-rsa") == 0) {
            units += w7("RSA");
        }
        else if (strcmp(wl, "W7-ec") == 0) {
            units += w7("EC");
        }
        else if (strcmp(wl, "W8-rtt") == 0) {
            units += tcp_exchange(0, param, &measured);
        }
        else if (strcmp(wl, "W8-bulk") == 0) {
            units += tcp_exchange(1, param, &measured);
        }
        else {
            fprintf(stderr, "cbench: unknown workload %s\n", wl);
            return 2;
        }
        spent += measured >= 0 ? measured : clk() - t1;
        ops++;
    } while (seconds < 0 ? ops < (long)-seconds : now() - t0 < seconds);
    printf("{\"units\": %.1f, \"seconds\": %.6f}\n", units, spent);
    return 0;
}
