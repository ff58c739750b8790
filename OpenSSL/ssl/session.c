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

/* ---- serialisation and facts, for external session caches -------------- */

static int
session_check(SessionObject *self)
{
    if (self->session == NULL) {
        PyErr_SetString(PyExc_ValueError, "session is empty");
        return -1;
    }
    return 0;
}

PyDoc_STRVAR(session_to_der_doc,
"to_der($self, /)\n--\n\n"
"The session as DER bytes (OpenSSL's SSL_SESSION encoding, what\n"
"`openssl sess_id` reads), to keep in a cache outside the process.\n"
"It holds the session's secrets: store it accordingly.");

static PyObject *
session_to_der(SessionObject *self, PyObject *Py_UNUSED(ignored))
{
    if (session_check(self) < 0) {
        return NULL;
    }
    int len = i2d_SSL_SESSION(self->session, NULL);
    if (len <= 0) {
        return ossl_raise(ssl_state_of((PyObject *)self)->Error);
    }
    PyObject *result = PyBytes_FromStringAndSize(NULL, len);
    if (result == NULL) {
        return NULL;
    }
    unsigned char *p = (unsigned char *)PyBytes_AS_STRING(result);
    if (i2d_SSL_SESSION(self->session, &p) != len) {
        Py_DECREF(result);
        return ossl_raise(ssl_state_of((PyObject *)self)->Error);
    }
    return result;
}

PyDoc_STRVAR(session_from_der_doc,
"from_der($type, data, /)\n--\n\n"
"A Session from the DER bytes of to_der() (or `openssl sess_id\n"
"-outform DER`).");

static PyObject *
session_from_der(PyTypeObject *type, PyObject *arg)
{
    ossl_bytes data = OSSL_BUFFER("data");
    if (!ossl_bytes_conv(arg, &data)) {
        return NULL;
    }
    ssl_state *st = ssl_state_of_type(type);
    if (st == NULL || ossl_check_int_len(data.len, "data") < 0) {
        ossl_bytes_release(&data);
        return NULL;
    }
    const unsigned char *p = (const unsigned char *)data.data;
    SSL_SESSION *session = d2i_SSL_SESSION(NULL, &p, (long)data.len);
    ossl_bytes_release(&data);
    if (session == NULL) {
        return ossl_raise(st->Error);
    }
    SessionObject *self = (SessionObject *)type->tp_alloc(type, 0);
    if (self == NULL) {
        SSL_SESSION_free(session);
        return NULL;
    }
    self->session = session;
    return (PyObject *)self;
}

PyDoc_STRVAR(session_is_resumable_doc,
"is_resumable($self, /)\n--\n\n"
"Whether the session can still resume a connection.");

static PyObject *
session_is_resumable(SessionObject *self, PyObject *Py_UNUSED(ignored))
{
    return PyBool_FromLong(self->session != NULL
                           && SSL_SESSION_is_resumable(self->session));
}

PyDoc_STRVAR(session_get_id_doc,
"get_id($self, /)\n--\n\n"
"The session id (bytes; made up by the client for TLS 1.3 tickets).");

static PyObject *
session_get_id(SessionObject *self, PyObject *Py_UNUSED(ignored))
{
    if (session_check(self) < 0) {
        return NULL;
    }
    unsigned int len = 0;
    const unsigned char *id = SSL_SESSION_get_id(self->session, &len);
    return PyBytes_FromStringAndSize((const char *)id, len);
}

PyDoc_STRVAR(session_get_protocol_version_doc,
"get_protocol_version($self, /)\n--\n\n"
"The protocol version the session was made with (TLS1_3_VERSION, ...).");

static PyObject *
session_get_protocol_version(SessionObject *self,
                             PyObject *Py_UNUSED(ignored))
{
    if (session_check(self) < 0) {
        return NULL;
    }
    return PyLong_FromLong(SSL_SESSION_get_protocol_version(self->session));
}

static PyMethodDef session_methods[] = {
    {"to_der", (PyCFunction)session_to_der, METH_NOARGS, session_to_der_doc},
    {"from_der", (PyCFunction)session_from_der, METH_O | METH_CLASS,
     session_from_der_doc},
    {"is_resumable", (PyCFunction)session_is_resumable, METH_NOARGS,
     session_is_resumable_doc},
    {"get_id", (PyCFunction)session_get_id, METH_NOARGS, session_get_id_doc},
    {"get_protocol_version", (PyCFunction)session_get_protocol_version,
     METH_NOARGS, session_get_protocol_version_doc},
    {NULL, NULL, 0, NULL},
};

static PyType_Slot session_slots[] = {
    {Py_tp_doc, "Session()\n--\n\n"
                "A TLS session, from Connection.get_session(), to resume with\n"
                "Connection.set_session()."},
    {Py_tp_new, session_new},
    {Py_tp_dealloc, session_dealloc},
    {Py_tp_methods, session_methods},
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
