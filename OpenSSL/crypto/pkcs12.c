/*
 * PKCS12: not written yet.
 */
#include "crypto.h"


PyMethodDef crypto_pkcs12_functions[] = {
    {NULL},
};

int
crypto_init_pkcs12(PyObject *module, crypto_state *st)
{
    (void)module;
    (void)st;
    return 0;
}
