/*
 * Session: a TLS session (SSL_SESSION) taken from one Connection with
 * get_session() and offered for resumption on another with set_session().
 */
#include "ssl.h"

PyObject *
ssl_session_wrap(ssl_state *st, SSL_SESSION *session)
{
    SessionObject *self = PyObject_New(SessionObject, st->Session_Type);
    if (self == NULL) {
        return NULL;
    }
    SSL_SESSION_up_ref(session);
    self->session = session;
    return (PyObject *)self;
}

static PyObject *
session_new(PyTypeObject *type, PyObject *args, PyObject *kwds)
{
    if (!_PyArg_NoPositional("Session", args)
        || !_PyArg_NoKeywords("Session", kwds)) {
        return NULL;
    }
    SessionObject *self = (SessionObject *)type->tp_alloc(type, 0);
    if (self != NULL) {
        self->session = NULL;
    }
    return (PyObject *)self;
}

static void
session_dealloc(SessionObject *self)
{
    PyTypeObject *type = Py_TYPE(self);
    SSL_SESSION_free(self->session);
    type->tp_free(self);
    Py_DECREF(type);
}

static PyType_Slot session_slots[] = {
    {Py_tp_doc, "Session()\n--\n\n"
                "A TLS session, from Connection.get_session(), to resume with\n"
                "Connection.set_session()."},
    {Py_tp_new, session_new},
    {Py_tp_dealloc, session_dealloc},
    {0, NULL},
};

static PyType_Spec session_spec = {
    .name = "OpenSSL.SSL.Session",
    .basicsize = sizeof(SessionObject),
    .flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_BASETYPE,
    .slots = session_slots,
};

int
ssl_init_session(PyObject *module, ssl_state *st)
{
    st->Session_Type = (PyTypeObject *)PyType_FromModuleAndSpec(
        module, &session_spec, NULL);
    if (st->Session_Type == NULL) {
        return -1;
    }
    return PyModule_AddType(module, st->Session_Type);
}
