/*
 * The C API of the OpenSSL package, for other C and C++ extensions.
 *
 *   #include "OpenSSL_capi.h"       (directory: OpenSSL.get_include())
 *
 *   const OSSL_CryptoCAPI *crypto =
 *       PyCapsule_Import(OSSL_CRYPTO_CAPI_NAME, 0);
 *   if (crypto == NULL || crypto->version < 1) ...
 *
 * Ownership rules, for every pair below:
 *   - *_from_ptr never steals: the new Python object takes its own reference
 *     (up_ref, or a copy for X509_NAME).
 *   - *_as_ptr returns a new reference the caller must free (X509_free,
 *     EVP_PKEY_free, X509_STORE_free, X509_NAME_free), or NULL with a
 *     Python exception set (TypeError when the object is of another type).
 *     Where the package accepts a `cryptography` object in place of its own,
 *     so does *_as_ptr.
 */
#ifndef OPENSSL_PY_CAPI_H
#define OPENSSL_PY_CAPI_H

#include <Python.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/evp.h>

#define OSSL_CRYPTO_CAPI_NAME "OpenSSL.crypto._C_API"
#define OSSL_CRYPTO_CAPI_VERSION 1

typedef struct OSSL_CryptoCAPI OSSL_CryptoCAPI;

struct OSSL_CryptoCAPI {
    unsigned int version;     /* OSSL_CRYPTO_CAPI_VERSION when built */
    unsigned int size;        /* sizeof(OSSL_CryptoCAPI): fields are only added */
    PyTypeObject *X509_Type;
    PyTypeObject *PKey_Type;
    PyTypeObject *X509Name_Type;
    PyTypeObject *X509Store_Type;
    PyObject *Error;          /* OpenSSL.crypto.Error */

    PyObject *(*x509_from_ptr)(const OSSL_CryptoCAPI *api, X509 *x509);
    X509 *(*x509_as_ptr)(const OSSL_CryptoCAPI *api, PyObject *obj);

    /* only_public: the key has no private half (a peer's key) */
    PyObject *(*pkey_from_ptr)(const OSSL_CryptoCAPI *api, EVP_PKEY *pkey,
                               int only_public);
    EVP_PKEY *(*pkey_as_ptr)(const OSSL_CryptoCAPI *api, PyObject *obj);

    PyObject *(*x509name_from_ptr)(const OSSL_CryptoCAPI *api,
                                   const X509_NAME *name);
    X509_NAME *(*x509name_as_ptr)(const OSSL_CryptoCAPI *api, PyObject *obj);

    PyObject *(*x509store_from_ptr)(const OSSL_CryptoCAPI *api,
                                    X509_STORE *store);
    X509_STORE *(*x509store_as_ptr)(const OSSL_CryptoCAPI *api, PyObject *obj);

    /* Private to the package (what `crypto` uses inside the module). */
    void *module_state;
};

#define OSSL_SSL_CAPI_NAME "OpenSSL.SSL._C_API"
#define OSSL_SSL_CAPI_VERSION 1

typedef struct OSSL_SSLCAPI OSSL_SSLCAPI;

struct OSSL_SSLCAPI {
    unsigned int version;
    unsigned int size;
    PyTypeObject *Context_Type;
    PyTypeObject *Connection_Type;
    PyObject *Error;
    const OSSL_CryptoCAPI *crypto;

    /* Borrowed pointers, valid while the Python object lives. */
    SSL_CTX *(*context_ptr)(PyObject *context);
    SSL *(*connection_ptr)(PyObject *connection);
    /*
     * The memory BIOs of a Connection made with transport None:
     * *into_ssl is what bio_write feeds, *from_ssl what bio_read drains.
     * Returns -1 with TypeError/ValueError set for another transport.
     */
    int (*connection_memory_bios)(PyObject *connection, BIO **into_ssl,
                                  BIO **from_ssl);
};

#endif
