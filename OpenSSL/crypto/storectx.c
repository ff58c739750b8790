/*
 * X509StoreContext: not written yet.
 */
#include "crypto.h"


PyMethodDef crypto_storectx_functions[] = {
    {NULL},
};

int
crypto_init_storectx(PyObject *module, crypto_state *st)
{
    (void)module;
    (void)st;
    return 0;
}
