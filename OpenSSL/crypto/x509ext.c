/*
 * X509Extension: not written yet.
 */
#include "crypto.h"

PyObject *
crypto_x509ext_wrap(crypto_state *st, const X509_EXTENSION *ext)
{
    (void)st; (void)ext;
    PyErr_SetString(PyExc_NotImplementedError, "X509Extension");
    return NULL;
}

PyMethodDef crypto_x509ext_functions[] = {
    {NULL},
};

int
crypto_init_x509ext(PyObject *module, crypto_state *st)
{
    (void)module;
    (void)st;
    return 0;
}
