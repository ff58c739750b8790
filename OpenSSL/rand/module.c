/*
 * OpenSSL.rand: OpenSSL's pseudo-random number generator.
 */
#include "../_common/common.h"

#include <openssl/rand.h>

typedef struct {
    PyObject *Error;
} rand_state;

static int
rand_exec(PyObject *module)
{
    rand_state *st = PyModule_GetState(module);
    st->Error = PyErr_NewExceptionWithDoc(
        "OpenSSL.rand.Error", "An error occurred in an OpenSSL.rand API.", NULL,
        NULL);
    if (st->Error == NULL || PyModule_AddObjectRef(module, "Error", st->Error) < 0) {
        return -1;
    }
    return 0;
}

static int
rand_traverse(PyObject *module, visitproc visit, void *arg)
{
    rand_state *st = PyModule_GetState(module);
    Py_VISIT(st->Error);
    return 0;
}

static int
rand_clear(PyObject *module)
{
    rand_state *st = PyModule_GetState(module);
    Py_CLEAR(st->Error);
    return 0;
}

static void
rand_free(void *module)
{
    rand_clear(module);
}

static PyModuleDef_Slot rand_slots[] = {
    {Py_mod_exec, rand_exec},
    {0, NULL},
};

static struct PyModuleDef rand_module_def = {
    PyModuleDef_HEAD_INIT,
    .m_name = "OpenSSL.rand",
    .m_doc = "OpenSSL's pseudo-random number generator.",
    .m_size = sizeof(rand_state),
    .m_slots = rand_slots,
    .m_traverse = rand_traverse,
    .m_clear = rand_clear,
    .m_free = rand_free,
};

PyMODINIT_FUNC
PyInit_rand(void)
{
    return PyModuleDef_Init(&rand_module_def);
}
