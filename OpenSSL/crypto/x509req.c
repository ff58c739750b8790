/*
 * X509Req: not written yet.
 */
#include "crypto.h"


PyMethodDef crypto_x509req_functions[] = {
    {NULL},
};

int
crypto_init_x509req(PyObject *module, crypto_state *st)
{
    (void)module;
    (void)st;
    return 0;
}
