/*
 * PKCS7: not written yet.
 */
#include "crypto.h"


PyMethodDef crypto_pkcs7_functions[] = {
    {NULL},
};

int
crypto_init_pkcs7(PyObject *module, crypto_state *st)
{
    (void)module;
    (void)st;
    return 0;
}
