/*
 * X509Name: not written yet.
 */
#include "crypto.h"

PyObject *
crypto_x509name_wrap(crypto_state *st, X509_NAME *name, PyObject *owner)
{
    (void)name; (void)owner;
    PyErr_SetString(PyExc_NotImplementedError, "X509Name");
    (void)st;
    return NULL;
}

X509_NAME *
crypto_x509name_arg(crypto_state *st, PyObject *obj, const char *argname)
{
    (void)st; (void)obj;
    PyErr_Format(PyExc_NotImplementedError, "%s: X509Name", argname);
    return NULL;
}

PyMethodDef crypto_x509name_functions[] = {
    {NULL},
};

int
crypto_init_x509name(PyObject *module, crypto_state *st)
{
    (void)module;
    (void)st;
    return 0;
}
