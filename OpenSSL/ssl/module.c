/*
 * OpenSSL.SSL: registers the types, constants, exceptions and the C API.
 */
#include "ssl.h"

static int
ssl_exec(PyObject *module)
{
    ssl_state *st = PyModule_GetState(module);
    st->crypto_module = PyImport_ImportModule("OpenSSL.crypto");
    if (st->crypto_module == NULL) {
        return -1;
    }
    st->crypto = PyCapsule_Import(OSSL_CRYPTO_CAPI_NAME, 0);
    if (st->crypto == NULL) {
        return -1;
    }
    st->Error = PyErr_NewExceptionWithDoc(
        "OpenSSL.SSL.Error", "An error occurred in an OpenSSL.SSL API.", NULL,
        NULL);
    if (st->Error == NULL || PyModule_AddObjectRef(module, "Error", st->Error) < 0) {
        return -1;
    }
    return 0;
}

static int
ssl_traverse(PyObject *module, visitproc visit, void *arg)
{
    ssl_state *st = PyModule_GetState(module);
    Py_VISIT(st->Error);
    Py_VISIT(st->crypto_module);
    return 0;
}

static int
ssl_clear(PyObject *module)
{
    ssl_state *st = PyModule_GetState(module);
    Py_CLEAR(st->Error);
    Py_CLEAR(st->crypto_module);
    return 0;
}

static void
ssl_free(void *module)
{
    ssl_clear(module);
}

static PyModuleDef_Slot ssl_slots[] = {
    {Py_mod_exec, ssl_exec},
    {0, NULL},
};

struct PyModuleDef ssl_module_def = {
    PyModuleDef_HEAD_INIT,
    .m_name = "OpenSSL.SSL",
    .m_doc = "TLS connections on OpenSSL.",
    .m_size = sizeof(ssl_state),
    .m_slots = ssl_slots,
    .m_traverse = ssl_traverse,
    .m_clear = ssl_clear,
    .m_free = ssl_free,
};

PyMODINIT_FUNC
PyInit_SSL(void)
{
    return PyModuleDef_Init(&ssl_module_def);
}
