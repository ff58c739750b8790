/*
 * OpenSSL.SSL: the module state and the object layouts.
 */
#ifndef OSSL_SSL_H
#define OSSL_SSL_H

#include "../_common/common.h"
#include "../include/OpenSSL_capi.h"

#include <openssl/ssl.h>

typedef struct {
    PyObject *Error;
    const OSSL_CryptoCAPI *crypto;   /* OpenSSL.crypto's C API */
    PyObject *crypto_module;         /* keeps `crypto` alive */
    OSSL_SSLCAPI capi;               /* exported as OpenSSL.SSL._C_API */
} ssl_state;

extern struct PyModuleDef ssl_module_def;

#endif
