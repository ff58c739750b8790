/*
 * Revoked: not written yet.
 */
#include "crypto.h"


PyMethodDef crypto_revoked_functions[] = {
    {NULL},
};

int
crypto_init_revoked(PyObject *module, crypto_state *st)
{
    (void)module;
    (void)st;
    return 0;
}
