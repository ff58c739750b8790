/*
 * NetscapeSPKI: not written yet.
 */
#include "crypto.h"


PyMethodDef crypto_spki_functions[] = {
    {NULL},
};

int
crypto_init_spki(PyObject *module, crypto_state *st)
{
    (void)module;
    (void)st;
    return 0;
}
