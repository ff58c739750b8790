/*
 * File-style use of a Connection, as the SSLeay interface had it:
 * makefile() returning a real `io` object (what http.client, email and
 * friends read from), readline/readlines/writelines on the Connection
 * itself, and bio_read_into for memory BIOs.
 *
 * makefile() stacks the io module's buffered and text layers on
 * ConnectionIO, a raw stream (a subclass of _io._RawIOBase) whose readinto
 * and write are the Connection's recv_into and sendall.  Like
 * socket.makefile, closing the file leaves the Connection open.
 */
#include "ssl.h"

#include <limits.h>
#include <string.h>
#include <sys/socket.h>

/* ---- ConnectionIO ---------------------------------------------------------- */

typedef struct {
    PyObject_HEAD
    /* The layout of _io._IOBase, which this type extends. */
    PyObject *dict;
    PyObject *weakreflist;
    PyObject *connection;
    /* A socket.socket whose close() waits for this file (see makefile). */
    PyObject *socket_ref;
    int readable;
    int writable;
} ConnectionIOObject;

/* Is the pending exception the module's exception `name`? */
static int
error_is(PyObject *connection, const char *name)
{
    if (!PyErr_Occurred()) {
        return 0;
    }
    /* Fetch the state with the exception set aside (the lookup may fail). */
    PyObject *type, *value, *tb;
    PyErr_Fetch(&type, &value, &tb);
    ssl_state *st = ssl_state_of(connection);
    PyErr_Clear();
    PyErr_Restore(type, value, tb);
    if (st == NULL) {
        return 0;
    }
    PyObject *exc = NULL;
    if (strcmp(name, "ZeroReturnError") == 0) {
        exc = st->ZeroReturnError;
    }
    else if (strcmp(name, "WantReadError") == 0) {
        exc = st->WantReadError;
    }
    else if (strcmp(name, "WantWriteError") == 0) {
        exc = st->WantWriteError;
    }
    else if (strcmp(name, "SysCallError") == 0) {
        exc = st->SysCallError;
    }
    return exc != NULL && PyErr_ExceptionMatches(exc);
}

/* SysCallError(-1, "Unexpected EOF"): the peer closed the transport
   without close_notify. */
static int
error_is_ragged_eof(PyObject *connection)
{
    if (!error_is(connection, "SysCallError")) {
        return 0;
    }
    PyObject *type, *value, *tb;
    PyErr_Fetch(&type, &value, &tb);
    PyErr_NormalizeException(&type, &value, &tb);
    int ragged = 0;
    PyObject *args = value != NULL ? PyObject_GetAttrString(value, "args")
                                   : NULL;
    if (args != NULL && PyTuple_Check(args) && PyTuple_GET_SIZE(args) >= 1) {
        PyObject *first = PyTuple_GET_ITEM(args, 0);
        ragged = PyLong_Check(first) && PyLong_AsLong(first) == -1;
    }
    Py_XDECREF(args);
    PyErr_Clear();
    PyErr_Restore(type, value, tb);
    return ragged;
}

static PyObject *
connectionio_new(PyTypeObject *type, PyObject *args, PyObject *kwds)
{
    static char *kwlist[] = {"connection", "mode", NULL};
    PyObject *connection;
    const char *mode = "r";
    if (!PyArg_ParseTupleAndKeywords(args, kwds, "O|s:ConnectionIO", kwlist,
                                     &connection, &mode)) {
        return NULL;
    }
    ssl_state *st = ssl_state_of_type(type);
    if (st == NULL || !PyObject_TypeCheck(connection, st->Connection_Type)) {
        PyErr_Format(PyExc_TypeError,
                     "connection must be a Connection, not %.100s",
                     Py_TYPE(connection)->tp_name);
        return NULL;
    }
    if (strcmp(mode, "r") != 0 && strcmp(mode, "w") != 0
        && strcmp(mode, "rw") != 0) {
        PyErr_Format(PyExc_ValueError,
                     "mode must be 'r', 'w' or 'rw', not '%.20s'", mode);
        return NULL;
    }
    ConnectionIOObject *self = (ConnectionIOObject *)type->tp_alloc(type, 0);
    if (self == NULL) {
        return NULL;
    }
    self->connection = Py_NewRef(connection);
    /* Like socket.makefile: a stdlib socket under the Connection counts
       its open files, and its close() really closes once they are closed
       (http.client closes the connection while the response is read). */
    PyObject *sock = ((ConnectionObject *)connection)->socket;
    if (sock != NULL && PyObject_HasAttrString(sock, "_decref_socketios")) {
        PyObject *refs = PyObject_GetAttrString(sock, "_io_refs");
        PyObject *one = PyLong_FromLong(1);
        PyObject *more = refs != NULL && one != NULL ? PyNumber_Add(refs, one)
                                                     : NULL;
        Py_XDECREF(one);
        int rc = more != NULL ? PyObject_SetAttrString(sock, "_io_refs", more)
                              : -1;
        Py_XDECREF(refs);
        Py_XDECREF(more);
        if (rc < 0) {
            Py_DECREF(self);
            return NULL;
        }
        self->socket_ref = Py_NewRef(sock);
    }
    self->readable = strchr(mode, 'r') != NULL;
    self->writable = strchr(mode, 'w') != NULL;
    return (PyObject *)self;
}

static int
connectionio_traverse(ConnectionIOObject *self, visitproc visit, void *arg)
{
    Py_VISIT(Py_TYPE(self));
    Py_VISIT(self->dict);
    Py_VISIT(self->connection);
    Py_VISIT(self->socket_ref);
    return 0;
}

static int
connectionio_clear(ConnectionIOObject *self)
{
    Py_CLEAR(self->dict);
    Py_CLEAR(self->connection);
    Py_CLEAR(self->socket_ref);
    return 0;
}

static void
connectionio_dealloc(ConnectionIOObject *self)
{
    PyTypeObject *type = Py_TYPE(self);
    /* _IOBase's finaliser closes the file (and may resurrect it). */
    if (PyObject_CallFinalizerFromDealloc((PyObject *)self) < 0) {
        return;
    }
    PyObject_GC_UnTrack(self);
    if (self->weakreflist != NULL) {
        PyObject_ClearWeakRefs((PyObject *)self);
    }
    connectionio_clear(self);
    type->tp_free(self);
    Py_DECREF(type);
}

static int
connectionio_check(ConnectionIOObject *self, int want_read)
{
    if (self->connection == NULL) {
        PyErr_SetString(PyExc_ValueError, "I/O operation on closed file.");
        return -1;
    }
    if (want_read ? !self->readable : !self->writable) {
        PyObject *io = PyImport_ImportModule("io");
        PyObject *unsupported =
            io != NULL ? PyObject_GetAttrString(io, "UnsupportedOperation")
                       : NULL;
        Py_XDECREF(io);
        if (unsupported != NULL) {
            PyErr_SetString(unsupported, want_read ? "not readable"
                                                   : "not writable");
            Py_DECREF(unsupported);
        }
        return -1;
    }
    return 0;
}

static PyObject *
connectionio_readinto(ConnectionIOObject *self, PyObject *buffer)
{
    if (connectionio_check(self, 1) < 0) {
        return NULL;
    }
    PyObject *n = PyObject_CallMethod(self->connection, "recv_into", "O",
                                      buffer);
    if (n != NULL) {
        return n;
    }
    if (error_is(self->connection, "ZeroReturnError")
        || error_is_ragged_eof(self->connection)) {
        /* close_notify, or the peer dropped the transport: end of file,
           as the stdlib's suppress_ragged_eofs has it. */
        PyErr_Clear();
        return PyLong_FromLong(0);
    }
    if (error_is(self->connection, "WantReadError")) {
        /* Non-blocking and nothing there yet. */
        PyErr_Clear();
        Py_RETURN_NONE;
    }
    return NULL;
}

static PyObject *
connectionio_write(ConnectionIOObject *self, PyObject *data)
{
    if (connectionio_check(self, 0) < 0) {
        return NULL;
    }
    PyObject *n = PyObject_CallMethod(self->connection, "sendall", "O", data);
    if (n == NULL && error_is(self->connection, "WantWriteError")) {
        PyErr_Clear();
        Py_RETURN_NONE;
    }
    return n;
}

static PyObject *
connectionio_readable(ConnectionIOObject *self, PyObject *Py_UNUSED(ignored))
{
    if (self->connection == NULL) {
        PyErr_SetString(PyExc_ValueError, "I/O operation on closed file.");
        return NULL;
    }
    return PyBool_FromLong(self->readable);
}

static PyObject *
connectionio_writable(ConnectionIOObject *self, PyObject *Py_UNUSED(ignored))
{
    if (self->connection == NULL) {
        PyErr_SetString(PyExc_ValueError, "I/O operation on closed file.");
        return NULL;
    }
    return PyBool_FromLong(self->writable);
}

static PyObject *
connectionio_fileno(ConnectionIOObject *self, PyObject *Py_UNUSED(ignored))
{
    if (self->connection == NULL) {
        PyErr_SetString(PyExc_ValueError, "I/O operation on closed file.");
        return NULL;
    }
    return PyObject_CallMethod(self->connection, "fileno", NULL);
}

static PyObject *
connectionio_close(ConnectionIOObject *self, PyObject *Py_UNUSED(ignored))
{
    /* _RawIOBase.close marks the file closed (and flushes). */
    PyTypeObject *base = Py_TYPE(self)->tp_base;
    PyObject *close = PyObject_GetAttrString((PyObject *)base, "close");
    if (close == NULL) {
        return NULL;
    }
    PyObject *r = PyObject_CallOneArg(close, (PyObject *)self);
    Py_DECREF(close);
    if (r == NULL) {
        return NULL;
    }
    Py_DECREF(r);
    /* The Connection stays open, as a socket does under socket.makefile. */
    Py_CLEAR(self->connection);
    if (self->socket_ref != NULL) {
        PyObject *sock = self->socket_ref;
        self->socket_ref = NULL;
        r = PyObject_CallMethod(sock, "_decref_socketios", NULL);
        Py_DECREF(sock);
        if (r == NULL) {
            return NULL;
        }
        Py_DECREF(r);
    }
    Py_RETURN_NONE;
}

static PyObject *
connectionio_get_connection(ConnectionIOObject *self,
                            void *Py_UNUSED(closure))
{
    return Py_NewRef(self->connection != NULL ? self->connection : Py_None);
}

static PyMethodDef connectionio_methods[] = {
    {"readinto", (PyCFunction)connectionio_readinto, METH_O,
     "readinto($self, buffer, /)\n--\n\n"
     "Read into buffer; 0 at end of file, None if it would block."},
    {"write", (PyCFunction)connectionio_write, METH_O,
     "write($self, data, /)\n--\n\nWrite all of data; return its length."},
    {"readable", (PyCFunction)connectionio_readable, METH_NOARGS, NULL},
    {"writable", (PyCFunction)connectionio_writable, METH_NOARGS, NULL},
    {"fileno", (PyCFunction)connectionio_fileno, METH_NOARGS, NULL},
    {"close", (PyCFunction)connectionio_close, METH_NOARGS,
     "close($self, /)\n--\n\nClose the file; the Connection stays open."},
    {NULL, NULL, 0, NULL},
};

static PyGetSetDef connectionio_getset[] = {
    {"connection", (getter)connectionio_get_connection, NULL,
     "The Connection under this file (None once closed).", NULL},
    {NULL},
};


static PyType_Slot connectionio_slots[] = {
    {Py_tp_doc, "ConnectionIO(connection, mode='r')\n--\n\n"
                "A raw io stream over a Connection; what makefile() buffers."},
    {Py_tp_new, connectionio_new},
    {Py_tp_dealloc, connectionio_dealloc},
    {Py_tp_traverse, connectionio_traverse},
    {Py_tp_clear, connectionio_clear},
    {Py_tp_methods, connectionio_methods},
    {Py_tp_getset, connectionio_getset},
    {0, NULL},
};

static PyType_Spec connectionio_spec = {
    .name = "OpenSSL.SSL.ConnectionIO",
    .basicsize = sizeof(ConnectionIOObject),
    .flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_BASETYPE | Py_TPFLAGS_HAVE_GC,
    .slots = connectionio_slots,
};

/* ---- Connection methods ------------------------------------------------------ */

PyDoc_STRVAR(connection_makefile_doc,
"makefile($self, mode='r', buffering=None, *, encoding=None, errors=None,\n"
"         newline=None)\n--\n\n"
"A file object reading from and writing to this Connection, like\n"
"socket.makefile: mode is 'r', 'w' or 'rw', with 'b' for bytes; buffering\n"
"0 gives the raw stream (binary only).  Closing it leaves the Connection\n"
"open; end of file is the peer's close_notify.");

static PyObject *
connection_makefile(PyObject *self, PyObject *args, PyObject *kwds)
{
    static char *kwlist[] = {"mode", "buffering", "encoding", "errors",
                             "newline", NULL};
    const char *mode = "r";
    PyObject *buffering_obj = Py_None, *encoding = Py_None;
    PyObject *errors = Py_None, *newline = Py_None;
    if (!PyArg_ParseTupleAndKeywords(args, kwds, "|sO$OOO:makefile", kwlist,
                                     &mode, &buffering_obj, &encoding, &errors,
                                     &newline)) {
        return NULL;
    }
    int reading = 0, writing = 0, binary = 0;
    for (const char *c = mode; *c != '\0'; c++) {
        if (*c == 'r') {
            reading = 1;
        }
        else if (*c == 'w') {
            writing = 1;
        }
        else if (*c == 'b') {
            binary = 1;
        }
        else {
            PyErr_Format(PyExc_ValueError,
                         "invalid mode '%.20s' (only r, w, b allowed)", mode);
            return NULL;
        }
    }
    if (!reading && !writing) {
        reading = 1;
    }
    Py_ssize_t buffering = -1;
    if (ossl_ssize_arg(buffering_obj, "buffering", 1, &buffering) < 0) {
        return NULL;
    }
    if (buffering == 0 && !binary) {
        PyErr_SetString(PyExc_ValueError, "unbuffered streams must be binary");
        return NULL;
    }
    PyObject *module = PyType_GetModuleByDef(Py_TYPE(self), &ssl_module_def);
    PyObject *io = module != NULL ? PyImport_ImportModule("io") : NULL;
    if (module == NULL || io == NULL) {
        Py_XDECREF(io);
        return NULL;
    }
    PyObject *result = NULL, *buffer = NULL;
    PyObject *raw = PyObject_CallMethod(
        module, "ConnectionIO", "Os", self,
        reading && writing ? "rw" : (reading ? "r" : "w"));
    if (raw == NULL) {
        goto done;
    }
    if (buffering == 0) {
        result = Py_NewRef(raw);
        goto done;
    }
    if (buffering < 0) {
        PyObject *size = PyObject_GetAttrString(io, "DEFAULT_BUFFER_SIZE");
        buffering = size != NULL ? PyLong_AsSsize_t(size) : -1;
        Py_XDECREF(size);
        if (buffering < 0) {
            goto done;
        }
    }
    if (reading && writing) {
        buffer = PyObject_CallMethod(io, "BufferedRWPair", "OOn", raw, raw,
                                     buffering);
    }
    else {
        buffer = PyObject_CallMethod(io, reading ? "BufferedReader"
                                                 : "BufferedWriter",
                                     "On", raw, buffering);
    }
    if (buffer == NULL || binary) {
        result = Py_XNewRef(buffer);
        goto done;
    }
    result = PyObject_CallMethod(io, "TextIOWrapper", "OOOO", buffer, encoding,
                                 errors, newline);
    if (result != NULL) {
        PyObject *m = PyUnicode_FromString(mode);
        if (m == NULL || PyObject_SetAttrString(result, "mode", m) < 0) {
            Py_CLEAR(result);
        }
        Py_XDECREF(m);
    }
done:
    Py_XDECREF(buffer);
    Py_XDECREF(raw);
    Py_DECREF(io);
    return result;
}

/* recv(n, flags) on the Connection; NULL with an exception.  At end of
   file (close_notify) *eof is set and b"" returned. */
static PyObject *
recv_some(PyObject *self, Py_ssize_t n, int flags, int *eof)
{
    *eof = 0;
    PyObject *data = PyObject_CallMethod(self, "recv", "ni", n, flags);
    if (data == NULL && error_is(self, "ZeroReturnError")) {
        PyErr_Clear();
        *eof = 1;
        return PyBytes_FromStringAndSize(NULL, 0);
    }
    if (data != NULL && !PyBytes_Check(data)) {
        PyErr_SetString(PyExc_TypeError, "recv() did not return bytes");
        Py_CLEAR(data);
    }
    return data;
}

/* One line (up to and including b"\n"), at most `limit` bytes (-1: no
   limit).  It peeks first and takes only what belongs to the line, so the
   rest stays in the Connection for the next recv. */
static PyObject *
read_line(PyObject *self, Py_ssize_t limit)
{
    PyObject *parts = PyList_New(0);
    if (parts == NULL) {
        return NULL;
    }
    Py_ssize_t total = 0;
    for (;;) {
        Py_ssize_t want = 16384;
        if (limit >= 0 && limit - total < want) {
            want = limit - total;
        }
        if (want == 0) {
            break;
        }
        int eof;
        PyObject *peeked = recv_some(self, want, MSG_PEEK, &eof);
        if (peeked == NULL) {
            if (total > 0 && error_is(self, "WantReadError")) {
                /* A non-blocking transport ran dry mid-line: hand over what
                   is there rather than lose it. */
                PyErr_Clear();
                break;
            }
            Py_DECREF(parts);
            return NULL;
        }
        Py_ssize_t len = PyBytes_GET_SIZE(peeked);
        const char *nl = memchr(PyBytes_AS_STRING(peeked), '\n', (size_t)len);
        Py_DECREF(peeked);
        if (eof || len == 0) {
            break;
        }
        Py_ssize_t take = nl != NULL ? nl - PyBytes_AS_STRING(peeked) + 1 : len;
        PyObject *data = recv_some(self, take, 0, &eof);
        if (data == NULL) {
            Py_DECREF(parts);
            return NULL;
        }
        int rc = PyList_Append(parts, data);
        total += PyBytes_GET_SIZE(data);
        Py_DECREF(data);
        if (rc < 0) {
            Py_DECREF(parts);
            return NULL;
        }
        if (nl != NULL || eof) {
            break;
        }
    }
    PyObject *empty = PyBytes_FromStringAndSize(NULL, 0);
    PyObject *line = empty != NULL ? _PyBytes_Join(empty, parts) : NULL;
    Py_XDECREF(empty);
    Py_DECREF(parts);
    return line;
}

static int
size_arg(PyObject *obj, const char *name, Py_ssize_t *out)
{
    *out = -1;
    if (ossl_ssize_arg(obj, name, 1, out) < 0) {
        return -1;
    }
    if (*out < 0) {
        *out = -1;
    }
    return 0;
}

PyDoc_STRVAR(connection_readline_doc,
"readline($self, size=-1, /)\n--\n\n"
"Read one line of application data, up to and including b'\\n' (at most\n"
"size bytes); b'' once the peer has closed the connection.");

static PyObject *
connection_readline(PyObject *self, PyObject *args)
{
    PyObject *size_obj = NULL;
    Py_ssize_t size;
    if (!PyArg_ParseTuple(args, "|O:readline", &size_obj)
        || size_arg(size_obj, "size", &size) < 0) {
        return NULL;
    }
    return read_line(self, size);
}

PyDoc_STRVAR(connection_readlines_doc,
"readlines($self, hint=-1, /)\n--\n\n"
"Read lines until the peer closes the connection (or, with hint, until\n"
"that many bytes have been read); return them as a list.");

static PyObject *
connection_readlines(PyObject *self, PyObject *args)
{
    PyObject *hint_obj = NULL;
    Py_ssize_t hint;
    if (!PyArg_ParseTuple(args, "|O:readlines", &hint_obj)
        || size_arg(hint_obj, "hint", &hint) < 0) {
        return NULL;
    }
    PyObject *lines = PyList_New(0);
    if (lines == NULL) {
        return NULL;
    }
    Py_ssize_t total = 0;
    for (;;) {
        PyObject *line = read_line(self, -1);
        if (line == NULL) {
            Py_DECREF(lines);
            return NULL;
        }
        Py_ssize_t len = PyBytes_GET_SIZE(line);
        if (len == 0) {
            Py_DECREF(line);
            break;
        }
        int rc = PyList_Append(lines, line);
        Py_DECREF(line);
        if (rc < 0) {
            Py_DECREF(lines);
            return NULL;
        }
        total += len;
        if (hint > 0 && total >= hint) {
            break;
        }
    }
    return lines;
}

PyDoc_STRVAR(connection_writelines_doc,
"writelines($self, lines, /)\n--\n\n"
"Send every bytes-like object of the iterable lines, in order.");

static PyObject *
connection_writelines(PyObject *self, PyObject *lines)
{
    PyObject *it = PyObject_GetIter(lines);
    if (it == NULL) {
        return NULL;
    }
    PyObject *item;
    while ((item = PyIter_Next(it)) != NULL) {
        if (!PyObject_CheckBuffer(item) || PyUnicode_Check(item)) {
            PyErr_Format(PyExc_TypeError,
                         "writelines() needs bytes-like objects, not %.100s",
                         Py_TYPE(item)->tp_name);
            Py_DECREF(item);
            Py_DECREF(it);
            return NULL;
        }
        PyObject *r = PyObject_CallMethod(self, "sendall", "O", item);
        Py_DECREF(item);
        if (r == NULL) {
            Py_DECREF(it);
            return NULL;
        }
        Py_DECREF(r);
    }
    Py_DECREF(it);
    if (PyErr_Occurred()) {
        return NULL;
    }
    Py_RETURN_NONE;
}

PyDoc_STRVAR(connection_bio_read_into_doc,
"bio_read_into($self, buffer, nbytes=None, /)\n--\n\n"
"Move TLS records waiting in the outgoing memory BIO straight into the\n"
"writable buffer (at most nbytes, default its length); return how many\n"
"bytes were written.  Raises WantReadError when there is nothing.");

static PyObject *
connection_bio_read_into(ConnectionObject *self, PyObject *const *args,
                         Py_ssize_t nargs)
{
    if (nargs < 1 || nargs > 2) {
        PyErr_Format(PyExc_TypeError,
                     "bio_read_into() takes 1 or 2 arguments (%zd given)",
                     nargs);
        return NULL;
    }
    Py_buffer view;
    PyObject *nbytes_obj = nargs > 1 ? args[1] : Py_None;
    if (ossl_writable_buffer(args[0], "buffer", &view) < 0) {
        return NULL;
    }
    PyObject *result = NULL;
    Py_ssize_t n = view.len;
    if (nbytes_obj != Py_None) {
        if (ossl_ssize_arg(nbytes_obj, "nbytes", 1, &n) < 0) {
            goto done;
        }
        if (n < 0 || n > view.len) {
            PyErr_Format(PyExc_ValueError,
                         "nbytes must be between 0 and len(buffer) = %zd, "
                         "not %zd", view.len, n);
            goto done;
        }
    }
    if (self->transport != SSL_TRANSPORT_MEMORY) {
        PyErr_SetString(PyExc_TypeError,
                        "Connection sock was not None: bio_* methods need a "
                        "Connection made with memory BIOs");
        goto done;
    }
    ssl_state *st = ssl_state_of((PyObject *)self);
    if (st == NULL) {
        goto done;
    }
    if (BIO_ctrl_pending(self->from_ssl) == 0) {
        PyErr_SetNone(st->WantReadError);
        goto done;
    }
    if (n > INT_MAX) {
        n = INT_MAX;
    }
    if (n == 0) {
        result = PyLong_FromLong(0);
        goto done;
    }
    if (ERR_peek_error() != 0) {
        ERR_clear_error();
    }
    /* A memory BIO copy: quick, so the GIL stays. */
    int got = BIO_read(self->from_ssl, view.buf, (int)n);
    if (got <= 0) {
        if (BIO_should_retry(self->from_ssl)) {
            PyErr_SetNone(st->WantReadError);
        }
        else {
            ossl_raise(st->Error);
        }
        goto done;
    }
    result = PyLong_FromLong(got);
done:
    PyBuffer_Release(&view);
    return result;
}


PyMethodDef ssl_fileio_connection_methods[] = {
    SSL_CONNECTION_METHOD(makefile, METH_VARARGS | METH_KEYWORDS),
    SSL_CONNECTION_METHOD(readline, METH_VARARGS),
    SSL_CONNECTION_METHOD(readlines, METH_VARARGS),
    SSL_CONNECTION_METHOD(writelines, METH_O),
    SSL_CONNECTION_METHOD(bio_read_into, METH_FASTCALL),
    {NULL, NULL, 0, NULL},
};

int
ssl_init_fileio(PyObject *module)
{
    PyObject *io = PyImport_ImportModule("_io");
    if (io == NULL) {
        return -1;
    }
    PyObject *base = PyObject_GetAttrString(io, "_RawIOBase");
    Py_DECREF(io);
    if (base == NULL) {
        return -1;
    }
    PyObject *type = PyType_FromModuleAndSpec(module, &connectionio_spec, base);
    Py_DECREF(base);
    if (type == NULL) {
        return -1;
    }
    /* isinstance(f, io.RawIOBase) holds, as for the io module's own. */
    io = PyImport_ImportModule("io");
    PyObject *r = NULL;
    PyObject *abc = io != NULL ? PyObject_GetAttrString(io, "RawIOBase")
                               : NULL;
    Py_XDECREF(io);
    if (abc != NULL) {
        r = PyObject_CallMethod(abc, "register", "O", type);
        Py_DECREF(abc);
    }
    if (r == NULL || PyModule_AddObjectRef(module, "ConnectionIO", type) < 0) {
        Py_XDECREF(r);
        Py_DECREF(type);
        return -1;
    }
    Py_DECREF(r);
    Py_DECREF(type);
    return 0;
}
