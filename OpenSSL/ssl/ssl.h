/*
 * OpenSSL.SSL: the module state and the object layouts.
 *
 * Files: module.c (constants, exceptions, types, C API), context.c
 * (Context), connection.c (Connection), session.c (Session), callbacks.c
 * (the C trampolines OpenSSL calls: verify, passphrase, info, ...),
 * transport.c (socket / memory BIOs and turning SSL_get_error into the
 * module's exceptions), pybio.c (the BIO over a Python object), and the
 * feature files tlsext.c, dtls.c, fileio.c, whose Context and Connection
 * methods join the types' own at module init (ssl_add_type).
 */
#ifndef OSSL_SSL_H
#define OSSL_SSL_H

#include "../_common/common.h"
#include "../include/OpenSSL_capi.h"

#include <openssl/ssl.h>
#include <openssl/x509_vfy.h>

typedef struct {
    PyObject *Error;
    PyObject *WantReadError;
    PyObject *WantWriteError;
    PyObject *WantX509LookupError;
    PyObject *ZeroReturnError;
    PyObject *SysCallError;
    PyTypeObject *Context_Type;
    PyTypeObject *Connection_Type;
    PyTypeObject *Session_Type;
    const OSSL_CryptoCAPI *crypto;   /* OpenSSL.crypto's C API */
    PyObject *crypto_module;         /* keeps `crypto` alive */
    PyObject *bridge;                /* OpenSSL._cryptography, on first use */
    OSSL_SSLCAPI capi;               /* exported as OpenSSL.SSL._C_API */
} ssl_state;

/*
 * The Python callables a Context or a Connection keeps for OpenSSL's
 * callbacks, one slot each; traverse/clear walk the whole array, so a new
 * callback only needs a new enum entry.  Data slots (userdata passed back to
 * a callback) live here too.
 */
enum {
    SSL_SLOT_VERIFY = 0,
    SSL_SLOT_INFO,
    SSL_SLOT_PASSWD,
    SSL_SLOT_PASSWD_DATA,
    SSL_SLOT_SERVERNAME,
    SSL_SLOT_ALPN_SELECT,
    SSL_SLOT_KEYLOG,
    SSL_SLOT_OCSP,
    SSL_SLOT_OCSP_DATA,
    SSL_SLOT_COOKIE_GENERATE,
    SSL_SLOT_COOKIE_VERIFY,
    SSL_SLOT_SESSION,
    SSL_SLOT_PSK_CLIENT,
    SSL_SLOT_PSK_SERVER,
    SSL_SLOT_EXTRA1,           /* spare slots for later callbacks */
    SSL_SLOT_EXTRA2,
    SSL_SLOT_EXTRA3,
    SSL_SLOT_EXTRA4,
    SSL_SLOT_COUNT
};

typedef struct {
    PyObject *slot[SSL_SLOT_COUNT];
} ssl_callbacks;

typedef struct {
    PyObject_HEAD
    SSL_CTX *ctx;
    int method;                 /* the *_METHOD constant it was made with */
    PyObject *app_data;
    ssl_callbacks cb;
    /* An exception raised by a callback during a Context call (passphrase). */
    PyObject *callback_error;
    /* The cipher strings last set (bytes), NULL for OpenSSL's defaults:
       every new Connection gets its own copy of the lists (see
       ssl_context_pin). */
    PyObject *cipher_list;
    PyObject *ciphersuites;
    PyObject *ctx_capsule;      /* what _context returns, made once */
    PyObject *weakreflist;
} ContextObject;

enum {
    SSL_TRANSPORT_SOCKET = 0,  /* a socket BIO on socket.fileno() */
    SSL_TRANSPORT_MEMORY,      /* a pair of memory BIOs */
    SSL_TRANSPORT_PYTHON,      /* an object with read()/write() (later) */
};

typedef struct {
    PyObject_HEAD
    SSL *ssl;
    ContextObject *context;    /* the Context it currently uses */
    /* The Context it was made with: OpenSSL keeps using that SSL_CTX for
       the session cache after set_context(), so it stays alive. */
    ContextObject *session_context;
    PyObject *socket;          /* the transport object, or NULL for memory */
    int transport;
    BIO *into_ssl;             /* memory transport: what bio_write feeds */
    BIO *from_ssl;             /* memory transport: what bio_read drains */
    PyObject *app_data;
    /* Per-Connection overrides of the Context's callbacks (set_verify, ...);
       NULL slots fall back to the Context's. */
    ssl_callbacks cb;
    int verify_override;       /* set_verify was called on this Connection */
    /* The first exception a callback raised during the current call. */
    PyObject *callback_error;
    /* How many calls hold the Connection (claim in connection.c): OpenSSL
       objects are not safe for concurrent use, so a second call is refused,
       except a shutdown from a callback of the running one. */
    int busy;
    unsigned long busy_thread; /* PyThread_get_thread_ident() of that call */
    /* Scratch for later features (ALPN protos, session, ...); traversed
       and cleared with the rest. */
    PyObject *extra[4];
    PyObject *dict;
    PyObject *weakreflist;
} ConnectionObject;

typedef struct {
    PyObject_HEAD
    SSL_SESSION *session;      /* NULL for an empty Session() */
} SessionObject;

/* ---- module.c ---------------------------------------------------------- */

extern struct PyModuleDef ssl_module_def;

OSSL_HIDDEN ssl_state *ssl_state_of_type(PyTypeObject *type);
OSSL_HIDDEN ssl_state *ssl_state_of(PyObject *self);
/* OpenSSL._cryptography, or NULL with ImportError. */
OSSL_HIDDEN PyObject *ssl_bridge(ssl_state *st);
/* An X509 * (new reference) from our X509 or a cryptography certificate. */
OSSL_HIDDEN X509 *ssl_x509_arg(ssl_state *st, PyObject *obj,
                               const char *argname);
/* An EVP_PKEY * (new reference) from our PKey or a cryptography key. */
OSSL_HIDDEN EVP_PKEY *ssl_pkey_arg(ssl_state *st, PyObject *obj,
                                   const char *argname);
/* Our X509 for `x509` (up_ref'd), or a cryptography certificate when
   as_cryptography is true. */
OSSL_HIDDEN PyObject *ssl_x509_out(ssl_state *st, X509 *x509,
                                   int as_cryptography);
/* A list of the certificates of `chain`, as for ssl_x509_out. */
OSSL_HIDDEN PyObject *ssl_x509_list(ssl_state *st, STACK_OF(X509) *chain,
                                    int as_cryptography);
/*
 * Add to the module, under its own name and under `alias`, a type made from
 * `spec` whose methods are those of its Py_tp_methods slot followed by each
 * table of the NULL-terminated `feature_methods`; a new reference.  Two
 * tables naming the same method fail the import with SystemError.  The
 * joined table is made once into *joined and kept for the life of the
 * process (the type's method descriptors point into it).
 */
OSSL_HIDDEN PyTypeObject *ssl_add_type(PyObject *module, PyType_Spec *spec,
                                       PyMethodDef *const *feature_methods,
                                       PyMethodDef **joined,
                                       const char *alias);

/* A PyMethodDef entry for context_<name> / connection_<name> and its
   context_<name>_doc / connection_<name>_doc. */
#define SSL_CONTEXT_METHOD(name, flags) \
    {#name, (PyCFunction)(void (*)(void))context_##name, flags, \
     context_##name##_doc}
#define SSL_CONNECTION_METHOD(name, flags) \
    {#name, (PyCFunction)(void (*)(void))connection_##name, flags, \
     connection_##name##_doc}

/* ---- context.c --------------------------------------------------------- */

OSSL_HIDDEN int ssl_init_context(PyObject *module, ssl_state *st);
/*
 * Give a new SSL its own copies of what OpenSSL would otherwise keep
 * reading from the SSL_CTX during a handshake (cipher lists, client CA
 * names, extra chain certificates), so that changing the Context later -
 * from another thread, while handshakes run with the GIL released - never
 * frees something a handshake is using.  -1 with an exception.
 */
OSSL_HIDDEN int ssl_context_pin(ContextObject *ctx, SSL *ssl);
/* Visit/clear every slot of a callback table. */
OSSL_HIDDEN int ssl_callbacks_traverse(ssl_callbacks *cb, visitproc visit,
                                       void *arg);
OSSL_HIDDEN void ssl_callbacks_clear(ssl_callbacks *cb);
/*
 * What Context and Connection both set, on the SSL_CTX `ctx` or, when it is
 * NULL, on the SSL `ssl`: None, or NULL with an exception.
 */
OSSL_HIDDEN PyObject *ssl_use_certificate(ssl_state *st, SSL_CTX *ctx,
                                          SSL *ssl, PyObject *cert);
OSSL_HIDDEN PyObject *ssl_use_privatekey(ssl_state *st, SSL_CTX *ctx,
                                         SSL *ssl, PyObject *pkey);
/* set_verify(mode, callback=None), the callback kept in `cb`. */
OSSL_HIDDEN PyObject *ssl_set_verify(ssl_callbacks *cb, SSL_CTX *ctx,
                                     SSL *ssl, PyObject *args,
                                     PyObject *kwds);
/* Keep `callback` in `slot` (None empties it when allow_none); TypeError
   when it is not callable. */
OSSL_HIDDEN int ssl_callbacks_set(ssl_callbacks *cb, int slot,
                                  PyObject *callback, int allow_none);

/* ---- connection.c ------------------------------------------------------ */

OSSL_HIDDEN int ssl_init_connection(PyObject *module, ssl_state *st);
/* The Connection an SSL belongs to (borrowed), or NULL. */
OSSL_HIDDEN ConnectionObject *ssl_connection_of(const SSL *ssl);
/* The callback in `slot` for this Connection: its own, else its Context's
   (borrowed, may be NULL). */
OSSL_HIDDEN PyObject *ssl_connection_callback(ConnectionObject *conn,
                                              int slot);

/* ---- session.c --------------------------------------------------------- */

OSSL_HIDDEN int ssl_init_session(PyObject *module, ssl_state *st);
/* A new Session holding its own reference to `session`. */
OSSL_HIDDEN PyObject *ssl_session_wrap(ssl_state *st, SSL_SESSION *session);

/* ---- callbacks.c ------------------------------------------------------- */

/* ex_data indices: SSL -> ConnectionObject, SSL_CTX -> ContextObject. */
OSSL_HIDDEN int ssl_callbacks_init(void);
extern int ssl_connection_index;
extern int ssl_context_index;
extern int ssl_session_chain_index;
/* The verified chain a client remembered on a session it resumed now
   (borrowed), or NULL. */
OSSL_HIDDEN STACK_OF(X509) *ssl_session_verified_chain(const SSL *ssl);

/*
 * What the trampolines of Connection callbacks share, run between
 * ossl_callback_enter and _leave: call the callback in `slot` (the
 * Connection's own, else its Context's) with the argument tuple
 * Py_BuildValue makes of `format` and the rest ("(Oy)", conn, line).  A new
 * reference to its result, or NULL: when there is no callback, when an
 * earlier callback of this OpenSSL call failed, or when this one raised
 * (its exception is then kept on the Connection for the call that drove
 * OpenSSL); conn->callback_error tells the last two from the first.
 */
OSSL_HIDDEN PyObject *ssl_callback_call(ConnectionObject *conn, int slot,
                                        const char *format, ...);

OSSL_HIDDEN int ssl_verify_trampoline(int preverify_ok, X509_STORE_CTX *store);
OSSL_HIDDEN void ssl_info_trampoline(const SSL *ssl, int where, int ret);
OSSL_HIDDEN int ssl_passwd_trampoline(char *buf, int size, int rwflag,
                                      void *userdata);

/* ---- transport.c ------------------------------------------------------- */

/* Set up the transport of a new Connection; -1 with an exception. */
OSSL_HIDDEN int ssl_transport_attach(ssl_state *st, ConnectionObject *conn,
                                     PyObject *transport);

/*
 * What an SSL_* I/O call left behind, taken while the GIL was still
 * released (the error queue and errno belong to this thread).
 */
typedef struct {
    int ret;                   /* the call's return value */
    int ssl_error;             /* SSL_get_error(ssl, ret) */
    int saved_errno;
} ssl_io_result;

/* Raise the exception for a failed SSL_* I/O call: a stashed callback
   exception first, then the Want* / ZeroReturn / SysCall / Error mapping.
   Always returns NULL. */
OSSL_HIDDEN PyObject *ssl_raise_io_error(ConnectionObject *conn,
                                         const ssl_io_result *io);
/* Raise a callback exception stashed on `conn` (returns 1) or nothing (0). */
OSSL_HIDDEN int ssl_raise_stashed(ConnectionObject *conn);
/* After an I/O call: raise for it if it `failed` (ssl_raise_io_error), else
   raise what a callback stashed during it; -1 when an exception is set. */
OSSL_HIDDEN int ssl_io_check(ConnectionObject *conn, const ssl_io_result *io,
                             int failed);

/* ---- pybio.c ----------------------------------------------------------- */

/* A BIO calling `transport`.read(n) / .write(data) for the Connection. */
OSSL_HIDDEN int ssl_pybio_attach(ssl_state *st, ConnectionObject *conn,
                                 PyObject *transport);

/* ---- the feature files ------------------------------------------------- */

/*
 * Context and Connection methods that live with their feature: the type's
 * methods are its own table followed by these (ssl_add_type).
 */
extern PyMethodDef ssl_tlsext_context_methods[];
extern PyMethodDef ssl_dtls_context_methods[];
extern PyMethodDef ssl_tlsext_connection_methods[];
extern PyMethodDef ssl_dtls_connection_methods[];
extern PyMethodDef ssl_fileio_connection_methods[];
/* fileio.c: makefile, readline, readlines, writelines, bio_read_into
   (Connection), and the raw io type under makefile(). */
OSSL_HIDDEN int ssl_init_fileio(PyObject *module);
/* tlsext.c: SNI, ALPN, OCSP, keylog, groups, PSK, post-handshake auth,
   the session callback, SRTP (their constants). */
OSSL_HIDDEN int ssl_init_tlsext(PyObject *module);
/* dtls.c: cookies, DTLSv1_listen, timeouts, MTU (their constants). */
OSSL_HIDDEN int ssl_init_dtls(PyObject *module);
/* A DTLS Connection on a UDP socket gets a datagram BIO: 1 when attached,
   0 when `fd` is not for that, -1 with an exception. */
OSSL_HIDDEN int ssl_dtls_attach_udp(ssl_state *st, ConnectionObject *conn,
                                    int fd);
/* After the UDP socket under a Connection was connect()ed. */
OSSL_HIDDEN void ssl_dtls_socket_connected(ConnectionObject *conn);

/* The SSL_* calls ssl_run_io makes; `buf` is the BIO_ADDR for DTLS_LISTEN. */
enum {
    IO_HANDSHAKE,
    IO_READ,
    IO_PEEK,
    IO_WRITE,
    IO_SHUTDOWN,
    IO_DTLS_LISTEN,
    IO_DTLS_TIMEOUT,
};

/* One SSL_* call on the Connection with the GIL released, the Connection
   claimed for it (RuntimeError if another call holds it); -1 with an
   exception, else 0 with the outcome in *io. */
OSSL_HIDDEN int ssl_run_io(ConnectionObject *conn, int op, void *buf, int len,
                           ssl_io_result *io);

#endif
