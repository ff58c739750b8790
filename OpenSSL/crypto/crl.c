/*
 * CRL: not written yet.
 */
#include "crypto.h"


PyMethodDef crypto_crl_functions[] = {
    {NULL},
};

int
crypto_init_crl(PyObject *module, crypto_state *st)
{
    (void)module;
    (void)st;
    return 0;
}
