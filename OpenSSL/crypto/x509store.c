/*
 * X509Store: not written yet.
 */
#include "crypto.h"

PyObject *
crypto_x509store_wrap(crypto_state *st, X509_STORE *store)
{
    (void)st; (void)store;
    PyErr_SetString(PyExc_NotImplementedError, "X509Store");
    return NULL;
}

PyMethodDef crypto_x509store_functions[] = {
    {NULL},
};

int
crypto_init_x509store(PyObject *module, crypto_state *st)
{
    (void)module;
    (void)st;
    return 0;
}
