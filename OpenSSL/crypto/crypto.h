/*
 * OpenSSL.crypto: the module state and the object layout of every type.
 *
 * Each type lives in its own .c file, which provides
 *     int crypto_init_<type>(PyObject *module, crypto_state *st);
 * to create its heap type(s) and add them (and its constants) to the module,
 * and an array crypto_<type>_functions[] of module-level functions (possibly
 * just the sentinel).  module.c only calls these.
 */
#ifndef OSSL_CRYPTO_H
#define OSSL_CRYPTO_H

#include "../_common/common.h"
#include "../include/OpenSSL_capi.h"

#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <openssl/x509_vfy.h>
#include <openssl/pem.h>
#include <openssl/evp.h>
#include <openssl/pkcs12.h>
#include <openssl/pkcs7.h>

/* pyOpenSSL's values: the SSL_FILETYPE_* macros and its own TEXT marker. */
#define OSSL_FILETYPE_PEM 1
#define OSSL_FILETYPE_ASN1 2
#define OSSL_FILETYPE_TEXT 65535

typedef struct {
    PyObject *Error;
    PyObject *X509StoreContextError;
    PyTypeObject *PKey_Type;
    PyTypeObject *EllipticCurve_Type;
    PyTypeObject *X509_Type;
    PyTypeObject *X509Name_Type;
    PyTypeObject *X509Extension_Type;
    PyTypeObject *X509Req_Type;
    PyTypeObject *X509Store_Type;
    PyTypeObject *X509StoreContext_Type;
    PyTypeObject *CRL_Type;
    PyTypeObject *Revoked_Type;
    PyTypeObject *PKCS12_Type;
    PyTypeObject *PKCS7_Type;
    PyTypeObject *NetscapeSPKI_Type;
    PyObject *bridge;          /* OpenSSL._cryptography, imported on first use */
    OSSL_CryptoCAPI capi;      /* exported as OpenSSL.crypto._C_API */
} crypto_state;

typedef struct {
    PyObject_HEAD
    EVP_PKEY *pkey;            /* NULL until generated or loaded */
    int only_public;
} PKeyObject;

typedef struct {
    PyObject_HEAD
    PyObject *name;            /* str: OpenSSL's short name */
    int nid;
} EllipticCurveObject;

typedef struct {
    PyObject_HEAD
    X509 *x509;
} X509Object;

typedef struct {
    PyObject_HEAD
    /* Our own name (role OSSL_NAME_OWN), or one `owner` keeps (BORROWED);
       NULL for the subject/issuer roles, which look the name up each time. */
    X509_NAME *name;
    /*
     * The X509 or X509Req whose subject/issuer this is, or NULL when the name
     * is our own.  Setting an attribute changes the owner's name, as in
     * pyOpenSSL: `cert.get_subject().CN = "x"` renames the certificate.
     */
    PyObject *owner;
    int role;                  /* OSSL_NAME_* */
} X509NameObject;

/*
 * What an X509Name refers to.  A view of a certificate's subject never keeps
 * the X509_NAME pointer: set_subject() frees that structure, so the view asks
 * the owner for its current name on every access.
 */
enum {
    OSSL_NAME_OWN = 0,         /* a copy owned by the X509Name */
    OSSL_NAME_X509_SUBJECT,
    OSSL_NAME_X509_ISSUER,
    OSSL_NAME_REQ_SUBJECT,
    OSSL_NAME_BORROWED,        /* a pointer that lives as long as `owner` */
};

typedef struct {
    PyObject_HEAD
    X509_EXTENSION *ext;
} X509ExtensionObject;

typedef struct {
    PyObject_HEAD
    X509_REQ *req;
} X509ReqObject;

typedef struct {
    PyObject_HEAD
    X509_STORE *store;
} X509StoreObject;

typedef struct {
    PyObject_HEAD
    PyObject *store;           /* X509Store */
    PyObject *certificate;     /* X509 */
    PyObject *chain;           /* list of X509 or NULL */
} X509StoreContextObject;

typedef struct {
    PyObject_HEAD
    X509_CRL *crl;
} CRLObject;

typedef struct {
    PyObject_HEAD
    X509_REVOKED *revoked;
} RevokedObject;

typedef struct {
    PyObject_HEAD
    PyObject *certificate;     /* X509 or None */
    PyObject *privatekey;      /* PKey or None */
    PyObject *ca_certificates; /* tuple of X509 or None */
    PyObject *friendlyname;    /* bytes or None */
} PKCS12Object;

typedef struct {
    PyObject_HEAD
    PKCS7 *p7;
} PKCS7Object;

typedef struct {
    PyObject_HEAD
    NETSCAPE_SPKI *spki;
} NetscapeSPKIObject;

/* ---- module.c ---------------------------------------------------------- */

extern struct PyModuleDef crypto_module_def;

/* The module state for an instance of any of our types (or a subclass). */
OSSL_HIDDEN crypto_state *crypto_state_of(PyObject *self);
OSSL_HIDDEN crypto_state *crypto_state_of_type(PyTypeObject *type);
/* OpenSSL._cryptography, or NULL with ImportError (cryptography missing). */
OSSL_HIDDEN PyObject *crypto_bridge(crypto_state *st);
/* Call OpenSSL._cryptography.<func>(*args); NULL with an exception. */
OSSL_HIDDEN PyObject *crypto_bridge_call(crypto_state *st, const char *func,
                                         PyObject *arg);
/* 1 if `obj` is a `type` (or of a subclass); else 0 with TypeError
   "<argname> must be a(n) <type>, not <obj's type>". */
OSSL_HIDDEN int crypto_is_a(PyObject *obj, PyTypeObject *type,
                            const char *argname);
/* The to_cryptography method and from_cryptography classmethod of X509,
   X509Req and CRL (OpenSSL._cryptography picks the conversion by class). */
OSSL_HIDDEN PyObject *crypto_to_cryptography(PyObject *self, PyObject *ignored);
OSSL_HIDDEN PyObject *crypto_from_cryptography(PyTypeObject *type, PyObject *obj);
/* "filetype must be FILETYPE_PEM or FILETYPE_ASN1[ or FILETYPE_TEXT]" */
OSSL_HIDDEN int crypto_check_filetype(int type, int allow_text);
/*
 * How the load_* and dump_* functions read and write one ASN.1 type: its PEM
 * label, its DER functions, its FILETYPE_TEXT printer, and the message for a
 * buffer that holds none (when OpenSSL does not say why).
 */
typedef struct {
    const char *pem_name;
    d2i_of_void *d2i;
    i2d_of_void *i2d;
    int (*print)(BIO *bio, void *obj);
    const char *missing;
} crypto_codec;
#define CRYPTO_CODEC(pem_name, d2i, i2d, print, missing)                       \
    {(pem_name), (d2i_of_void *)(d2i), (i2d_of_void *)(i2d),                   \
     (int (*)(BIO *, void *))(print), (missing)}
/* The object in `buffer`, encoded as `type` (FILETYPE_PEM or FILETYPE_ASN1,
   else ValueError); NULL with an exception. */
OSSL_HIDDEN void *crypto_decode(crypto_state *st, const crypto_codec *codec,
                                int type, const ossl_bytes *buffer);
/* `obj` encoded as `type` (FILETYPE_PEM, FILETYPE_ASN1 or FILETYPE_TEXT,
   else ValueError): bytes, or NULL with an exception. */
OSSL_HIDDEN PyObject *crypto_encode(crypto_state *st, const crypto_codec *codec,
                                    int type, const void *obj);
/* A Python type made from `spec` for this module, added under its name and,
   unless NULL, under `alias` too (pyOpenSSL's X509Type and the like). */
OSSL_HIDDEN PyTypeObject *crypto_add_type(PyObject *module, PyType_Spec *spec,
                                          const char *alias);

/* ---- pkey.c ------------------------------------------------------------ */

OSSL_HIDDEN int crypto_init_pkey(PyObject *module, crypto_state *st);
extern PyMethodDef crypto_pkey_functions[];
/* A new PKey taking its own reference to `pkey`. */
OSSL_HIDDEN PyObject *crypto_pkey_wrap(crypto_state *st, EVP_PKEY *pkey,
                                       int only_public);
/* get_pubkey() of X509, X509Req and NetscapeSPKI: a public-only PKey of
   `pkey` (borrowed), or for NULL Error "the <owner> has no public key" when
   OpenSSL gives no reason. */
OSSL_HIDDEN PyObject *crypto_pubkey_wrap(crypto_state *st, EVP_PKEY *pkey,
                                         const char *owner);
/* set_pubkey(pkey) of the same types: set(obj, the EVP_PKEY of the PKey
   `arg`); -1 with an exception. */
typedef int (*crypto_pubkey_setter)(void *obj, EVP_PKEY *pkey);
OSSL_HIDDEN int crypto_set_pubkey(crypto_state *st, void *obj,
                                  crypto_pubkey_setter set, PyObject *arg);
/* The EVP_PKEY of a PKey (borrowed); TypeError naming `argname` otherwise,
   ValueError if the PKey is still empty. */
OSSL_HIDDEN EVP_PKEY *crypto_pkey_arg(crypto_state *st, PyObject *obj,
                                      const char *argname);

/* The digest to sign with `pkey` (NULL for Ed25519/Ed448, whose name is
   ignored); -1 with ValueError for an unknown name. */
OSSL_HIDDEN int crypto_digest_for_key(EVP_PKEY *pkey, const char *name,
                                      const EVP_MD **md);

/* ---- x509.c ------------------------------------------------------------ */

OSSL_HIDDEN int crypto_init_x509(PyObject *module, crypto_state *st);
extern PyMethodDef crypto_x509_functions[];
OSSL_HIDDEN PyObject *crypto_x509_wrap(crypto_state *st, X509 *x509);
/* A new X509 holding a private copy of `x509`: changing either never changes
   the other. */
OSSL_HIDDEN PyObject *crypto_x509_copy(crypto_state *st, const X509 *x509);
/* A new list of such copies of the certificates of `certs`. */
OSSL_HIDDEN PyObject *crypto_x509_copies(crypto_state *st,
                                         const STACK_OF(X509) *certs);
/* Our X509 (borrowed X509 *); TypeError naming `argname` otherwise. */
OSSL_HIDDEN X509 *crypto_x509_arg(crypto_state *st, PyObject *obj,
                                  const char *argname);
/*
 * The private key and digest to sign with, for X509/X509Req/CRL sign():
 * TypeError for a non-PKey, ValueError for an empty or public-only key or an
 * unknown digest name (the digest is NULL, and ignored, for Ed25519/Ed448).
 */
OSSL_HIDDEN int crypto_signing_key(crypto_state *st, PyObject *pkey_obj,
                                   const char *digest, EVP_PKEY **pkey,
                                   const EVP_MD **md);
/* sign(pkey, digest) of X509, X509Req and NetscapeSPKI: the two arguments
   parsed and checked as crypto_signing_key does; -1 with an exception. */
OSSL_HIDDEN int crypto_sign_args(crypto_state *st, PyObject *args, PyObject *kwds,
                                 EVP_PKEY **pkey, const EVP_MD **md);
/*
 * How sign() handles one OpenSSL type: `copy` gives a private copy to sign
 * (NULL when the object cannot be copied), `sign` and `free` are the type's
 * own.  CRYPTO_SIGNER(X509_dup, X509_sign, X509_free) fills one in.
 */
typedef struct {
    void *(*copy)(void *obj);
    int (*sign)(void *obj, EVP_PKEY *pkey, const EVP_MD *md);
    void (*free)(void *obj);
} crypto_signer;
#define CRYPTO_SIGNER(copy, sign, free)                                        \
    {(void *(*)(void *))(copy),                                                \
     (int (*)(void *, EVP_PKEY *, const EVP_MD *))(sign),                      \
     (void (*)(void *))(free)}
/*
 * Sign the object *slot points to.  A private copy is signed with the GIL
 * released and replaces *slot only once signed; an object that cannot be
 * copied is signed in place with the GIL held.  0, or -1 with the reason on
 * OpenSSL's error queue.
 */
OSSL_HIDDEN int crypto_sign_swap(void **slot, const crypto_signer *signer,
                                 EVP_PKEY *pkey, const EVP_MD *md);
/* Every item of the iterable `obj` checked to be an X509Extension: a new
   stack of copies (free with sk_X509_EXTENSION_pop_free(s, X509_EXTENSION_free)),
   or NULL with ValueError/TypeError naming `argname`. */
OSSL_HIDDEN STACK_OF(X509_EXTENSION) *crypto_x509ext_list_arg(
    crypto_state *st, PyObject *obj, const char *argname);

/* ---- x509name.c -------------------------------------------------------- */

OSSL_HIDDEN int crypto_init_x509name(PyObject *module, crypto_state *st);
extern PyMethodDef crypto_x509name_functions[];
/* A view of `name`, owned by `owner` (kept alive); a copy when owner is NULL. */
OSSL_HIDDEN PyObject *crypto_x509name_wrap(crypto_state *st, X509_NAME *name,
                                           PyObject *owner);
OSSL_HIDDEN X509_NAME *crypto_x509name_arg(crypto_state *st, PyObject *obj,
                                           const char *argname);

/* ---- x509ext.c --------------------------------------------------------- */

OSSL_HIDDEN int crypto_init_x509ext(PyObject *module, crypto_state *st);
extern PyMethodDef crypto_x509ext_functions[];
/* A new X509Extension holding a copy of `ext`. */
OSSL_HIDDEN PyObject *crypto_x509ext_wrap(crypto_state *st,
                                          const X509_EXTENSION *ext);

/* ---- x509req.c, x509store.c, storectx.c, crl.c, revoked.c, pkcs12.c,
        pkcs7.c, spki.c ------------------------------------------------- */

OSSL_HIDDEN int crypto_init_x509req(PyObject *module, crypto_state *st);
extern PyMethodDef crypto_x509req_functions[];
OSSL_HIDDEN int crypto_init_x509store(PyObject *module, crypto_state *st);
extern PyMethodDef crypto_x509store_functions[];
OSSL_HIDDEN PyObject *crypto_x509store_wrap(crypto_state *st, X509_STORE *store);
OSSL_HIDDEN int crypto_init_storectx(PyObject *module, crypto_state *st);
extern PyMethodDef crypto_storectx_functions[];
OSSL_HIDDEN int crypto_init_crl(PyObject *module, crypto_state *st);
extern PyMethodDef crypto_crl_functions[];
OSSL_HIDDEN int crypto_init_revoked(PyObject *module, crypto_state *st);
extern PyMethodDef crypto_revoked_functions[];
OSSL_HIDDEN int crypto_init_pkcs12(PyObject *module, crypto_state *st);
extern PyMethodDef crypto_pkcs12_functions[];
OSSL_HIDDEN int crypto_init_pkcs7(PyObject *module, crypto_state *st);
extern PyMethodDef crypto_pkcs7_functions[];
OSSL_HIDDEN int crypto_init_spki(PyObject *module, crypto_state *st);
extern PyMethodDef crypto_spki_functions[];

/* ---- x509store.c, storectx.c, crl.c, revoked.c: verification and CRLs -- */

/* The X509_STORE of an X509Store (borrowed); TypeError naming `argname`. */
OSSL_HIDDEN X509_STORE *crypto_x509store_arg(crypto_state *st, PyObject *obj,
                                             const char *argname);
/* A new reference to an X509 object: `obj` itself, or a cryptography
   certificate converted; TypeError naming `argname` otherwise. */
OSSL_HIDDEN PyObject *crypto_x509_coerce(crypto_state *st, PyObject *obj,
                                         const char *argname);
/* A new Revoked holding a copy of `revoked`. */
OSSL_HIDDEN PyObject *crypto_revoked_wrap(crypto_state *st,
                                          const X509_REVOKED *revoked);
/* The X509_REVOKED of a Revoked (borrowed); TypeError naming `argname`. */
OSSL_HIDDEN X509_REVOKED *crypto_revoked_arg(crypto_state *st, PyObject *obj,
                                             const char *argname);
/* b"YYYYMMDDhhmmssZ" (None for an unset time) and back (ValueError for a
   malformed one), as X509's date methods take them. */
OSSL_HIDDEN PyObject *crypto_time_to_bytes(crypto_state *st,
                                           const ASN1_TIME *when);
OSSL_HIDDEN ASN1_TIME *crypto_time_from_arg(crypto_state *st, PyObject *arg,
                                            const char *argname);
/* An X509_set1_notBefore-like setter, its object type erased. */
typedef int (*crypto_time_setter)(void *obj, const ASN1_TIME *when);
/* set(obj, when), then free `when`; NULL `when` (its maker failed and raised)
   gives -1 as a failed set() does, with the exception set. */
OSSL_HIDDEN int crypto_set_time(crypto_state *st, void *obj,
                                crypto_time_setter set, ASN1_TIME *when);

#endif
