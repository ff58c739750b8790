/*
 * Connection: one TLS connection (an SSL) over a socket or memory BIOs.
 *
 * Handshake, read, write and shutdown run with the GIL released; callbacks
 * OpenSSL makes meanwhile take it back (callbacks.c).  An exception a
 * callback raised is stored on the Connection and raised by the call that
 * triggered it, before anything OpenSSL reports.
 */
#include "ssl.h"

#include <errno.h>
#include <limits.h>
#include <string.h>
#include <sys/socket.h>

#define CONN_STATE(self) ssl_state_of((PyObject *)(self))

/* recv() allocates at most this much.  Like socket.recv it may return
   less than asked, and one SSL_read gives at most a record or two (16 KiB
   each), so recv(2**30) need not allocate a gigabyte to be shrunk. */
#define RECV_MAX_ALLOC (1 << 20)

/* recv() of at most this much reads into a stack buffer first. */
#define RECV_STACK_BUF 4096

PyObject *
ssl_connection_callback(ConnectionObject *conn, int slot)
{
    if (slot == SSL_SLOT_VERIFY && conn->verify_override) {
        return conn->cb.slot[slot];
    }
    if (conn->cb.slot[slot] != NULL) {
        return conn->cb.slot[slot];
    }
    return conn->context != NULL ? conn->context->cb.slot[slot] : NULL;
}

/* ---- I/O with the GIL released ----------------------------------------- */


/*
 * One call at a time on a Connection: OpenSSL's SSL object is not safe to
 * use from two threads at once.  A callback of the running call may still
 * call shutdown() on its own Connection (Twisted aborts a connection from
 * its verify and servername callbacks): OpenSSL refuses a shutdown in the
 * middle of a handshake with its own error, which is what the caller
 * expects, so that nested call is let through.  `busy` counts the claims.
 */
static int
claim_nested(ConnectionObject *self, int nested_ok)
{
    if (self->busy) {
        if (!nested_ok || self->busy_thread != PyThread_get_thread_ident()) {
            PyErr_SetString(PyExc_RuntimeError,
                            "the Connection is in use by another call "
                            "(another thread, or a callback of this one)");
            return -1;
        }
        self->busy++;
        return 0;
    }
    self->busy = 1;
    self->busy_thread = PyThread_get_thread_ident();
    return 0;
}

static int
claim(ConnectionObject *self)
{
    return claim_nested(self, 0);
}

static void
release(ConnectionObject *self)
{
    self->busy--;
}

/* The SSL_* call itself, and what it left behind (the error queue and errno
   belong to this thread, so they are read before the GIL is taken back). */
static inline void
io_call(SSL *ssl, int op, void *buf, int len, ssl_io_result *io)
{
    /* SSL_get_error reads the queue, so it must start empty; clearing an
       empty queue still walks all its slots, peeking does not. */
    if (ERR_peek_error() != 0) {
        ERR_clear_error();
    }
    errno = 0;
    switch (op) {
    case IO_HANDSHAKE:
        io->ret = SSL_do_handshake(ssl);
        break;
    case IO_READ:
        io->ret = SSL_read(ssl, buf, len);
        break;
    case IO_PEEK:
        io->ret = SSL_peek(ssl, buf, len);
        break;
    case IO_WRITE:
        io->ret = SSL_write(ssl, buf, len);
        break;
    case IO_SHUTDOWN:
        io->ret = SSL_shutdown(ssl);
        break;
    case IO_DTLS_LISTEN:
        io->ret = DTLSv1_listen(ssl, buf);
        break;
    case IO_DTLS_TIMEOUT:
        io->ret = DTLSv1_handle_timeout(ssl);
        break;
    default:
        io->ret = -1;
    }
    io->saved_errno = errno;
    io->ssl_error = io->ret > 0 ? SSL_ERROR_NONE : SSL_get_error(ssl, io->ret);
}

/* Reads and writes of at most this much over memory BIOs or a Python-object
   transport keep the GIL; up to the second limit when no other Python
   thread could use it. */
#define IO_KEEP_GIL_MAX 4096
#define IO_KEEP_GIL_ALONE_MAX 65536

/* Whether the calling thread (holding the GIL) is the only Python thread of
   the only interpreter: then nothing is waiting to run while it computes.
   A thread made later appears in the list before it can want the GIL, and
   the answer only ever decides how soon the GIL is given up, never whether
   it is. */
static inline int
sole_python_thread(void)
{
    PyThreadState *ts = PyThreadState_Get();
    PyInterpreterState *interp = PyThreadState_GetInterpreter(ts);
    return PyInterpreterState_Head() == interp
           && PyInterpreterState_Next(interp) == NULL
           && PyInterpreterState_ThreadHead(interp) == ts
           && PyThreadState_Next(ts) == NULL;
}

/*
 * One SSL_* call with the GIL released; -1 (with RuntimeError) if another
 * call is running on this Connection, or with the exception a signal
 * handler raised.  A blocking socket read or write interrupted by a signal
 * (EINTR) runs Python's signal handlers, so Ctrl-C stops a blocked recv(),
 * and is then retried.
 *
 * A small record over memory BIOs after the handshake can neither block
 * nor take long (about a microsecond of cipher work), less than giving the
 * GIL away and taking it back costs; such a call keeps the GIL, and so do
 * full-size records when no other Python thread exists to run meanwhile.
 * The same holds over a Python-object transport, whose read() and write()
 * need the GIL anyway (and give it up themselves if they block): keeping it
 * saves a release and a take per BIO call, two per record read.  Callbacks
 * it triggers (a session ticket arriving, the info callback) find the GIL
 * held and run as they are (ossl_callback_enter).
 */
int
ssl_run_io(ConnectionObject *self, int op, void *buf, int len,
           ssl_io_result *io)
{
    if (claim_nested(self, op == IO_SHUTDOWN) < 0) {
        return -1;
    }
    SSL *ssl = self->ssl;
    if (self->transport != SSL_TRANSPORT_SOCKET
        && (op == IO_READ || op == IO_PEEK || op == IO_WRITE)
        && (len <= IO_KEEP_GIL_MAX
            || (len <= IO_KEEP_GIL_ALONE_MAX && sole_python_thread()))
        && SSL_is_init_finished(ssl)) {
        io_call(ssl, op, buf, len, io);
        release(self);
        return 0;
    }
    for (;;) {
        OSSL_ALLOW_THREADS_BEGIN
        io_call(ssl, op, buf, len, io);
        OSSL_ALLOW_THREADS_END;
        if (io->ret <= 0 && io->saved_errno == EINTR
            && self->transport == SSL_TRANSPORT_SOCKET
            && (io->ssl_error == SSL_ERROR_WANT_READ
                || io->ssl_error == SSL_ERROR_WANT_WRITE
                || io->ssl_error == SSL_ERROR_SYSCALL)) {
            if (PyErr_CheckSignals() < 0) {
                ERR_clear_error();
                release(self);
                return -1;
            }
            continue;
        }
        break;
    }
    release(self);
    return 0;
}

/* ---- construction ------------------------------------------------------ */

static PyObject *
connection_make(ssl_state *st, PyTypeObject *type, PyObject *context,
                PyObject *transport)
{
    if (!PyObject_TypeCheck(context, st->Context_Type)) {
        PyErr_Format(PyExc_TypeError,
                     "context must be a Context instance, not %.100s",
                     Py_TYPE(context)->tp_name);
        return NULL;
    }
    ContextObject *ctx = (ContextObject *)context;
    SSL *ssl = SSL_new(ctx->ctx);
    if (ssl == NULL) {
        return ossl_raise(st->Error);
    }
    ConnectionObject *self = (ConnectionObject *)type->tp_alloc(type, 0);
    if (self == NULL) {
        SSL_free(ssl);
        return NULL;
    }
    self->ssl = ssl;
    self->context = (ContextObject *)Py_NewRef(context);
    self->session_context = (ContextObject *)Py_NewRef(context);
    /* OpenSSL may report "want read" after a non-application record even
       when more data is waiting; retry inside OpenSSL instead. */
    SSL_set_mode(ssl, SSL_MODE_AUTO_RETRY);
    SSL_set_ex_data(ssl, ssl_connection_index, self);
    /* Always ours: it remembers verified chains and finds the Python info
       callback of the Connection or its Context at call time. */
    SSL_set_info_callback(ssl, ssl_info_trampoline);
    if (ssl_context_pin(ctx, ssl) < 0
        || ssl_transport_attach(st, self, transport) < 0) {
        Py_DECREF(self);
        return NULL;
    }
    return (PyObject *)self;
}

static PyObject *
connection_new(PyTypeObject *type, PyObject *args, PyObject *kwds)
{
    static char *kwlist[] = {"context", "socket", NULL};
    PyObject *context, *transport = Py_None;
    if (!PyArg_ParseTupleAndKeywords(args, kwds, "O|O:Connection", kwlist,
                                     &context, &transport)) {
        return NULL;
    }
    ssl_state *st = ssl_state_of_type(type);
    if (st == NULL) {
        return NULL;
    }
    return connection_make(st, type, context, transport);
}

/* All the work happens in __new__; __init__ takes the same arguments so
   that subclasses can call super().__init__(context, socket). */
static int
connection_init(PyObject *Py_UNUSED(self), PyObject *args, PyObject *kwds)
{
    static char *kwlist[] = {"context", "socket", NULL};
    PyObject *context, *transport = Py_None;
    return PyArg_ParseTupleAndKeywords(args, kwds, "O|O:Connection", kwlist,
                                       &context, &transport) ? 0 : -1;
}

static int
connection_traverse(ConnectionObject *self, visitproc visit, void *arg)
{
    Py_VISIT(Py_TYPE(self));
    Py_VISIT(self->context);
    Py_VISIT(self->session_context);
    Py_VISIT(self->socket);
    Py_VISIT(self->app_data);
    Py_VISIT(self->callback_error);
    Py_VISIT(self->dict);
    for (int i = 0; i < 4; i++) {
        Py_VISIT(self->extra[i]);
    }
    return ssl_callbacks_traverse(&self->cb, visit, arg);
}

static int
connection_clear(ConnectionObject *self)
{
    Py_CLEAR(self->context);
    Py_CLEAR(self->session_context);
    Py_CLEAR(self->socket);
    Py_CLEAR(self->app_data);
    Py_CLEAR(self->callback_error);
    Py_CLEAR(self->dict);
    for (int i = 0; i < 4; i++) {
        Py_CLEAR(self->extra[i]);
    }
    ssl_callbacks_clear(&self->cb);
    return 0;
}

static void
connection_dealloc(ConnectionObject *self)
{
    PyTypeObject *type = Py_TYPE(self);
    PyObject_GC_UnTrack(self);
    if (self->weakreflist != NULL) {
        PyObject_ClearWeakRefs((PyObject *)self);
    }
    if (self->ssl != NULL) {
        /* Nothing may call back into this object from now on. */
        SSL_set_ex_data(self->ssl, ssl_connection_index, NULL);
        SSL_free(self->ssl);   /* frees the memory BIOs too */
        self->ssl = NULL;
    }
    connection_clear(self);
    type->tp_free(self);
    Py_DECREF(type);
}

/* Unknown attributes come from the socket, as pyOpenSSL does. */
static PyObject *
connection_getattro(ConnectionObject *self, PyObject *name)
{
    PyObject *result = PyObject_GenericGetAttr((PyObject *)self, name);
    if (result != NULL || self->socket == NULL
        || !PyErr_ExceptionMatches(PyExc_AttributeError)) {
        return result;
    }
    PyErr_Clear();
    return PyObject_GetAttr(self->socket, name);
}

PyDoc_STRVAR(connection___getattr___doc,
"__getattr__($self, name, /)\n--\n\n"
"Look name up on the socket (what happens for attributes the Connection\n"
"does not have).");

static PyObject *
connection___getattr__(ConnectionObject *self, PyObject *name)
{
    if (self->socket == NULL) {
        PyErr_Format(PyExc_AttributeError,
                     "'%.100s' object has no attribute '%U'",
                     Py_TYPE(self)->tp_name, name);
        return NULL;
    }
    return PyObject_GetAttr(self->socket, name);
}

static int
need_socket(ConnectionObject *self)
{
    if (self->socket == NULL) {
        PyErr_SetString(PyExc_TypeError,
                        "the Connection has no socket (it was made with None)");
        return -1;
    }
    return 0;
}

static int
need_memory(ConnectionObject *self)
{
    if (self->transport != SSL_TRANSPORT_MEMORY) {
        PyErr_SetString(PyExc_TypeError,
                        "Connection sock was not None: bio_* methods need a "
                        "Connection made with memory BIOs");
        return -1;
    }
    return 0;
}

/* The keyword-only as_cryptography flag of the certificate getters. */
static int
parse_as_cryptography(PyObject *args, PyObject *kwds, const char *fname,
                      int *out)
{
    static char *kwlist[] = {"as_cryptography", NULL};
    char format[64];
    PyOS_snprintf(format, sizeof(format), "|$p:%s", fname);
    *out = 0;
    return PyArg_ParseTupleAndKeywords(args, kwds, format, kwlist, out) ? 0 : -1;
}

/* ---- context and settings ------------------------------------------------ */

PyDoc_STRVAR(connection_get_context_doc,
"get_context($self, /)\n--\n\nThe Context this Connection uses.");

static PyObject *
connection_get_context(ConnectionObject *self, PyObject *Py_UNUSED(ignored))
{
    return Py_NewRef(self->context != NULL ? (PyObject *)self->context
                                           : Py_None);
}

PyDoc_STRVAR(connection_set_context_doc,
"set_context($self, context, /)\n--\n\n"
"Switch to another Context (its certificate, key and callbacks), e.g. from\n"
"a servername callback.");

static PyObject *
connection_set_context(ConnectionObject *self, PyObject *arg)
{
    ssl_state *st = CONN_STATE(self);
    if (!PyObject_TypeCheck(arg, st->Context_Type)) {
        PyErr_Format(PyExc_TypeError,
                     "context must be a Context instance, not %.100s",
                     Py_TYPE(arg)->tp_name);
        return NULL;
    }
    /* From a callback of this Connection's own handshake (a servername
       callback) is what OpenSSL expects; from another thread while the
       handshake runs it would race with it. */
    if (self->busy && self->busy_thread != PyThread_get_thread_ident()) {
        PyErr_SetString(PyExc_RuntimeError,
                        "the Connection is in use by another thread");
        return NULL;
    }
    if (SSL_set_SSL_CTX(self->ssl, ((ContextObject *)arg)->ctx) == NULL) {
        return ossl_raise(st->Error);
    }
    /* The new Context's cipher lists, CA names and chain apply from now. */
    if (ssl_context_pin((ContextObject *)arg, self->ssl) < 0) {
        return NULL;
    }
    Py_XSETREF(self->context, (ContextObject *)Py_NewRef(arg));
    Py_RETURN_NONE;
}

PyDoc_STRVAR(connection_set_options_doc,
"set_options($self, options, /)\n--\n\n"
"Add OP_* options for this Connection; return the new option word.");

static PyObject *
connection_set_options(ConnectionObject *self, PyObject *arg)
{
    uint64_t options;
    if (ossl_flags_arg(arg, "options", &options) < 0) {
        return NULL;
    }
    return PyLong_FromUnsignedLongLong(SSL_set_options(self->ssl, options));
}

PyDoc_STRVAR(connection_set_verify_doc,
"set_verify($self, mode, callback=None)\n--\n\n"
"Override the Context's verification mode and callback for this\n"
"Connection (see Context.set_verify).");

static PyObject *
connection_set_verify(ConnectionObject *self, PyObject *args, PyObject *kwds)
{
    PyObject *r = ssl_set_verify(&self->cb, NULL, self->ssl, args, kwds);
    if (r != NULL) {
        self->verify_override = 1;
    }
    return r;
}

PyDoc_STRVAR(connection_get_verify_mode_doc,
"get_verify_mode($self, /)\n--\n\nThis Connection's verification mode.");

static PyObject *
connection_get_verify_mode(ConnectionObject *self, PyObject *Py_UNUSED(ignored))
{
    return PyLong_FromLong(SSL_get_verify_mode(self->ssl));
}

PyDoc_STRVAR(connection_use_certificate_doc,
"use_certificate($self, cert, /)\n--\n\n"
"Use cert (an X509 or a cryptography certificate) for this Connection.");

static PyObject *
connection_use_certificate(ConnectionObject *self, PyObject *arg)
{
    return ssl_use_certificate(CONN_STATE(self), NULL, self->ssl, arg);
}

PyDoc_STRVAR(connection_use_privatekey_doc,
"use_privatekey($self, pkey, /)\n--\n\n"
"Use pkey (a PKey or a cryptography private key) for this Connection.");

static PyObject *
connection_use_privatekey(ConnectionObject *self, PyObject *arg)
{
    return ssl_use_privatekey(CONN_STATE(self), NULL, self->ssl, arg);
}

PyDoc_STRVAR(connection_set_info_callback_doc,
"set_info_callback($self, callback, /)\n--\n\n"
"Call callback(connection, where, ret) as this Connection's state changes;\n"
"None goes back to the Context's.");

static PyObject *
connection_set_info_callback(ConnectionObject *self, PyObject *arg)
{
    /* None falls back to the Context's callback (the trampoline looks). */
    if (ssl_callbacks_set(&self->cb, SSL_SLOT_INFO, arg, 1) < 0) {
        return NULL;
    }
    Py_RETURN_NONE;
}

PyDoc_STRVAR(connection_get_servername_doc,
"get_servername($self, /)\n--\n\n"
"The server name (SNI) the client asked for, as bytes, or None.");

static PyObject *
connection_get_servername(ConnectionObject *self, PyObject *Py_UNUSED(ignored))
{
    const char *name = SSL_get_servername(self->ssl, TLSEXT_NAMETYPE_host_name);
    if (name == NULL) {
        Py_RETURN_NONE;
    }
    return PyBytes_FromString(name);
}

PyDoc_STRVAR(connection_set_tlsext_host_name_doc,
"set_tlsext_host_name($self, name, /)\n--\n\n"
"Send name (bytes) as the server name (SNI) in the client hello.");

static PyObject *
connection_set_tlsext_host_name(ConnectionObject *self, PyObject *arg)
{
    if (!PyBytes_Check(arg)) {
        PyErr_Format(PyExc_TypeError, "name must be a byte string, not %.100s",
                     Py_TYPE(arg)->tp_name);
        return NULL;
    }
    const char *name = PyBytes_AS_STRING(arg);
    if (strlen(name) != (size_t)PyBytes_GET_SIZE(arg)) {
        PyErr_SetString(PyExc_TypeError, "name must not contain NUL byte");
        return NULL;
    }
    if (!SSL_set_tlsext_host_name(self->ssl, name)) {
        return ossl_raise(CONN_STATE(self)->Error);
    }
    Py_RETURN_NONE;
}

/* ---- handshake, read, write, shutdown ------------------------------------ */

PyDoc_STRVAR(connection_do_handshake_doc,
"do_handshake($self, /)\n--\n\n"
"Run (or continue) the TLS handshake.  Non-blocking transports raise\n"
"WantReadError / WantWriteError until it is done.");

static PyObject *
connection_do_handshake(ConnectionObject *self, PyObject *Py_UNUSED(ignored))
{
    ssl_io_result io;
    if (ssl_run_io(self, IO_HANDSHAKE, NULL, 0, &io) < 0) {
        return NULL;
    }
    if (ssl_io_check(self, &io, io.ret <= 0) < 0) {
        return NULL;
    }
    Py_RETURN_NONE;
}

static int
recv_flags(PyObject *flags_obj, int *peek)
{
    *peek = 0;
    if (flags_obj == NULL || flags_obj == Py_None) {
        return 0;
    }
    if (!PyLong_Check(flags_obj)) {
        PyErr_Format(PyExc_TypeError, "flags must be an integer, not %.100s",
                     Py_TYPE(flags_obj)->tp_name);
        return -1;
    }
    long flags = PyLong_AsLong(flags_obj);
    if (flags == -1 && PyErr_Occurred()) {
        return -1;
    }
    /* MSG_PEEK is the one flag TLS can honour; others are ignored. */
    *peek = (flags & MSG_PEEK) != 0;
    return 0;
}

PyDoc_STRVAR(connection_recv_doc,
"recv($self, bufsiz, flags=None)\n--\n\n"
"Read at most bufsiz bytes of application data.  flags may hold\n"
"socket.MSG_PEEK to leave the data in place.  Raises ZeroReturnError when\n"
"the peer closed the connection cleanly.");

static PyObject *
connection_recv(ConnectionObject *self, PyObject *const *args,
                Py_ssize_t nargs, PyObject *kwnames)
{
    static const char *const names[] = {"bufsiz", "flags"};
    PyObject *a[2];
    if (ossl_fastcall_args("recv", args, nargs, kwnames, names, 2, 1, a) < 0) {
        return NULL;
    }
    PyObject *flags_obj = a[1];
    Py_ssize_t bufsiz;
    if (ossl_ssize_arg(a[0], "bufsiz", 0, &bufsiz) < 0) {
        return NULL;
    }
    if (bufsiz < 0) {
        PyErr_Format(PyExc_ValueError, "bufsiz must not be negative, not %zd",
                     bufsiz);
        return NULL;
    }
    int peek;
    if (recv_flags(flags_obj, &peek) < 0) {
        return NULL;
    }
    if (bufsiz > RECV_MAX_ALLOC) {
        bufsiz = RECV_MAX_ALLOC;
    }
    if (bufsiz == 0) {
        return PyBytes_FromStringAndSize(NULL, 0);
    }
    /* Over memory BIOs with nothing buffered inside the SSL, one SSL_read
       returns at most as much plaintext as there is ciphertext waiting, so
       recv(16384) of a 64-byte record need not allocate 16 KiB and shrink
       it.  (Only the size of the buffer is bounded, never what a read may
       return: data beyond it stays for the next recv.) */
    Py_ssize_t want = bufsiz;
    if (self->transport == SSL_TRANSPORT_MEMORY && !SSL_has_pending(self->ssl)) {
        size_t waiting = BIO_ctrl_pending(self->into_ssl);
        if (waiting < (size_t)want) {
            want = waiting > 0 ? (Py_ssize_t)waiting : 1;
        }
    }
    ssl_io_result io;
    PyObject *result;
    if (want <= RECV_STACK_BUF) {
        /* Small reads land on the stack and are copied into a bytes object
           of the final size: no allocation to shrink afterwards. */
        char small[RECV_STACK_BUF];
        if (ssl_run_io(self, peek ? IO_PEEK : IO_READ, small, (int)want, &io) < 0) {
            return NULL;
        }
        if (ssl_io_check(self, &io, io.ret <= 0) < 0) {
            return NULL;
        }
        return PyBytes_FromStringAndSize(small, io.ret);
    }
    result = PyBytes_FromStringAndSize(NULL, want);
    if (result == NULL) {
        return NULL;
    }
    if (ssl_run_io(self, peek ? IO_PEEK : IO_READ, PyBytes_AS_STRING(result),
               (int)want, &io) < 0) {
        Py_DECREF(result);
        return NULL;
    }
    if (ssl_io_check(self, &io, io.ret <= 0) < 0) {
        Py_DECREF(result);
        return NULL;
    }
    if (io.ret != want && _PyBytes_Resize(&result, io.ret) < 0) {
        return NULL;
    }
    return result;
}

PyDoc_STRVAR(connection_recv_into_doc,
"recv_into($self, buffer, nbytes=None, flags=None)\n--\n\n"
"Read application data straight into the writable buffer, at most nbytes\n"
"(default: its length); return how many bytes were read.");

static PyObject *
connection_recv_into(ConnectionObject *self, PyObject *const *args,
                     Py_ssize_t nargs, PyObject *kwnames)
{
    static const char *const names[] = {"buffer", "nbytes", "flags"};
    PyObject *a[3];
    if (ossl_fastcall_args("recv_into", args, nargs, kwnames, names, 3, 1, a)
        < 0) {
        return NULL;
    }
    PyObject *flags_obj = a[2];
    Py_buffer view;
    if (ossl_writable_buffer(a[0], "buffer", &view) < 0) {
        return NULL;
    }
    Py_ssize_t n = view.len;
    if (a[1] != NULL && a[1] != Py_None) {
        Py_ssize_t want;
        if (ossl_ssize_arg(a[1], "nbytes", 1, &want) < 0) {
            PyBuffer_Release(&view);
            return NULL;
        }
        if (want < 0) {
            PyErr_SetString(PyExc_ValueError, "nbytes must not be negative");
            PyBuffer_Release(&view);
            return NULL;
        }
        /* 0 means "the whole buffer", like socket.recv_into. */
        if (want != 0 && want < n) {
            n = want;
        }
    }
    int peek;
    if (recv_flags(flags_obj, &peek) < 0) {
        PyBuffer_Release(&view);
        return NULL;
    }
    if (n > INT_MAX) {
        n = INT_MAX;
    }
    if (n == 0) {
        PyBuffer_Release(&view);
        return PyLong_FromLong(0);
    }
    ssl_io_result io;
    int rc = ssl_run_io(self, peek ? IO_PEEK : IO_READ, view.buf, (int)n, &io);
    PyBuffer_Release(&view);
    if (rc < 0) {
        return NULL;
    }
    if (ssl_io_check(self, &io, io.ret <= 0) < 0) {
        return NULL;
    }
    return PyLong_FromLong(io.ret);
}

PyDoc_STRVAR(connection_send_doc,
"send($self, buf, flags=0)\n--\n\n"
"Write application data from buf (a bytes-like object); return how many\n"
"bytes were taken, which may be fewer than len(buf).");

/* send/sendall(buf, flags=0): flags is checked and ignored, as TLS has no
   use for send() flags. */
static int
send_args(const char *fname, PyObject *const *args, Py_ssize_t nargs,
          PyObject *kwnames, ossl_bytes *buf)
{
    static const char *const names[] = {"buf", "flags"};
    PyObject *a[2];
    if (ossl_fastcall_args(fname, args, nargs, kwnames, names, 2, 1, a) < 0) {
        return -1;
    }
    int flags;
    if (a[1] != NULL && ossl_int_arg(a[1], "flags", &flags) < 0) {
        return -1;
    }
    return ossl_bytes_conv(a[0], buf) ? 0 : -1;
}

static PyObject *
connection_send(ConnectionObject *self, PyObject *const *args,
                Py_ssize_t nargs, PyObject *kwnames)
{
    ossl_bytes buf = OSSL_BYTES("buf");
    if (send_args("send", args, nargs, kwnames, &buf) < 0) {
        return NULL;
    }
    if (buf.len > INT_MAX) {
        ossl_bytes_release(&buf);
        PyErr_SetString(PyExc_ValueError,
                        "Cannot send more than 2**31-1 bytes at once.");
        return NULL;
    }
    if (buf.len == 0) {
        ossl_bytes_release(&buf);
        return PyLong_FromLong(0);
    }
    ssl_io_result io;
    int rc = ssl_run_io(self, IO_WRITE, (void *)buf.data, (int)buf.len, &io);
    ossl_bytes_release(&buf);
    if (rc < 0) {
        return NULL;
    }
    if (ssl_io_check(self, &io, io.ret <= 0) < 0) {
        return NULL;
    }
    return PyLong_FromLong(io.ret);
}

PyDoc_STRVAR(connection_sendall_doc,
"sendall($self, buf, flags=0)\n--\n\n"
"Write all of buf; return its length.  On a non-blocking transport a\n"
"WantWriteError leaves it unknown how much was sent.");

static PyObject *
connection_sendall(ConnectionObject *self, PyObject *const *args,
                   Py_ssize_t nargs, PyObject *kwnames)
{
    ossl_bytes buf = OSSL_BYTES("buf");
    if (send_args("sendall", args, nargs, kwnames, &buf) < 0) {
        return NULL;
    }
    ssl_io_result io = {.ret = 1, .ssl_error = SSL_ERROR_NONE};
    Py_ssize_t done = 0;
    int rc = 0;
    while (done < buf.len) {
        Py_ssize_t chunk = buf.len - done;
        if (chunk > INT_MAX) {
            chunk = INT_MAX;
        }
        rc = ssl_run_io(self, IO_WRITE, (void *)(buf.data + done), (int)chunk,
                    &io);
        if (rc < 0 || io.ret <= 0) {
            break;
        }
        done += io.ret;
    }
    ossl_bytes_release(&buf);
    if (rc < 0) {
        return NULL;
    }
    if (ssl_io_check(self, &io, io.ret <= 0) < 0) {
        return NULL;
    }
    return PyLong_FromSsize_t(done);
}

PyDoc_STRVAR(connection_pending_doc,
"pending($self, /)\n--\n\n"
"How many bytes of application data can be read without touching the\n"
"transport.");

static PyObject *
connection_pending(ConnectionObject *self, PyObject *Py_UNUSED(ignored))
{
    return PyLong_FromLong(SSL_pending(self->ssl));
}

PyDoc_STRVAR(connection_shutdown_doc,
"shutdown($self, /)\n--\n\n"
"Send close_notify.  Return True once the peer's close_notify was\n"
"received too, False if it still has to come (call again to wait).");

static PyObject *
connection_shutdown(ConnectionObject *self, PyObject *Py_UNUSED(ignored))
{
    ssl_io_result io;
    if (ssl_run_io(self, IO_SHUTDOWN, NULL, 0, &io) < 0) {
        return NULL;
    }
    if (ssl_io_check(self, &io, io.ret < 0) < 0) {
        return NULL;
    }
    return PyBool_FromLong(io.ret > 0);
}

PyDoc_STRVAR(connection_renegotiate_doc,
"renegotiate($self, /)\n--\n\n"
"Ask for a renegotiation (TLS 1.2 and below); return True if one was\n"
"started, False if one is already pending.  The next do_handshake() or\n"
"I/O call carries it out.");

static PyObject *
connection_renegotiate(ConnectionObject *self, PyObject *Py_UNUSED(ignored))
{
    if (SSL_renegotiate_pending(self->ssl)) {
        Py_RETURN_FALSE;
    }
    if (!SSL_renegotiate(self->ssl)) {
        return ossl_raise(CONN_STATE(self)->Error);
    }
    Py_RETURN_TRUE;
}

PyDoc_STRVAR(connection_renegotiate_pending_doc,
"renegotiate_pending($self, /)\n--\n\n"
"Whether a renegotiation was asked for and has not finished.");

static PyObject *
connection_renegotiate_pending(ConnectionObject *self,
                               PyObject *Py_UNUSED(ignored))
{
    return PyBool_FromLong(SSL_renegotiate_pending(self->ssl));
}

PyDoc_STRVAR(connection_total_renegotiations_doc,
"total_renegotiations($self, /)\n--\n\n"
"How many renegotiations were started on this Connection.");

static PyObject *
connection_total_renegotiations(ConnectionObject *self,
                                PyObject *Py_UNUSED(ignored))
{
    return PyLong_FromLong(SSL_total_renegotiations(self->ssl));
}

/* ---- memory BIOs --------------------------------------------------------- */

/* After a failed BIO_read/BIO_write on one of our memory BIOs. */
static PyObject *
bio_error(ConnectionObject *self, BIO *bio)
{
    ssl_state *st = CONN_STATE(self);
    if (BIO_should_retry(bio)) {
        ERR_clear_error();
        if (BIO_should_read(bio)) {
            PyErr_SetNone(st->WantReadError);
        }
        else if (BIO_should_write(bio)) {
            PyErr_SetNone(st->WantWriteError);
        }
        else {
            PyErr_SetString(PyExc_ValueError,
                            "the BIO asked for a special retry");
        }
        return NULL;
    }
    return ossl_raise(st->Error);
}

PyDoc_STRVAR(connection_bio_read_doc,
"bio_read($self, bufsiz, /)\n--\n\n"
"Take at most bufsiz bytes that OpenSSL wrote for the peer (memory BIO\n"
"Connections only).  Raises WantReadError when there are none.");

static PyObject *
connection_bio_read(ConnectionObject *self, PyObject *arg)
{
    if (need_memory(self) < 0) {
        return NULL;
    }
    Py_ssize_t bufsiz;
    if (ossl_ssize_arg(arg, "bufsiz", 0, &bufsiz) < 0) {
        return NULL;
    }
    if (bufsiz < 0) {
        PyErr_Format(PyExc_ValueError, "bufsiz must not be negative, not %zd",
                     bufsiz);
        return NULL;
    }
    size_t avail = BIO_ctrl_pending(self->from_ssl);
    if (avail == 0) {
        ERR_clear_error();
        PyErr_SetNone(CONN_STATE(self)->WantReadError);
        return NULL;
    }
    if ((size_t)bufsiz > avail) {
        bufsiz = (Py_ssize_t)avail;
    }
    if (bufsiz > INT_MAX) {
        bufsiz = INT_MAX;
    }
    PyObject *result = PyBytes_FromStringAndSize(NULL, bufsiz);
    if (result == NULL) {
        return NULL;
    }
    if (bufsiz == 0) {
        return result;
    }
    if (claim(self) < 0) {
        Py_DECREF(result);
        return NULL;
    }
    int n = BIO_read(self->from_ssl, PyBytes_AS_STRING(result), (int)bufsiz);
    release(self);
    if (n <= 0) {
        Py_DECREF(result);
        return bio_error(self, self->from_ssl);
    }
    if (n != bufsiz && _PyBytes_Resize(&result, n) < 0) {
        return NULL;
    }
    return result;
}

PyDoc_STRVAR(connection_bio_write_doc,
"bio_write($self, buf, /)\n--\n\n"
"Give OpenSSL bytes that came from the peer (memory BIO Connections\n"
"only); return how many were taken.");

static PyObject *
connection_bio_write(ConnectionObject *self, PyObject *arg)
{
    ossl_bytes buf = OSSL_BYTES("buf");
    if (!ossl_bytes_conv(arg, &buf)) {
        return NULL;
    }
    if (need_memory(self) < 0 || ossl_check_int_len(buf.len, "buf") < 0) {
        ossl_bytes_release(&buf);
        return NULL;
    }
    if (buf.len == 0) {
        ossl_bytes_release(&buf);
        return PyLong_FromLong(0);
    }
    if (claim(self) < 0) {
        ossl_bytes_release(&buf);
        return NULL;
    }
    int n = BIO_write(self->into_ssl, buf.data, (int)buf.len);
    release(self);
    ossl_bytes_release(&buf);
    if (n <= 0) {
        return bio_error(self, self->into_ssl);
    }
    return PyLong_FromLong(n);
}

PyDoc_STRVAR(connection_bio_shutdown_doc,
"bio_shutdown($self, /)\n--\n\n"
"Tell OpenSSL the peer will send nothing more (memory BIO Connections\n"
"only): reading past what was written then reports end of file.");

static PyObject *
connection_bio_shutdown(ConnectionObject *self, PyObject *Py_UNUSED(ignored))
{
    if (need_memory(self) < 0) {
        return NULL;
    }
    BIO_set_mem_eof_return(self->into_ssl, 0);
    Py_RETURN_NONE;
}

/* ---- the socket ---------------------------------------------------------- */

PyDoc_STRVAR(connection_connect_doc,
"connect($self, addr, /)\n--\n\n"
"Connect the socket to addr and make this the client side.");

/* socket.connect / connect_ex (`method`) to addr, as the client side. */
static PyObject *
socket_connect(ConnectionObject *self, const char *method, PyObject *addr)
{
    if (need_socket(self) < 0) {
        return NULL;
    }
    SSL_set_connect_state(self->ssl);
    PyObject *r = PyObject_CallMethod(self->socket, method, "(O)", addr);
    if (r != NULL) {
        ssl_dtls_socket_connected(self);
    }
    return r;
}

static PyObject *
connection_connect(ConnectionObject *self, PyObject *arg)
{
    return socket_connect(self, "connect", arg);
}

PyDoc_STRVAR(connection_connect_ex_doc,
"connect_ex($self, addr, /)\n--\n\n"
"Like connect(), returning the socket's error code instead of raising.");

static PyObject *
connection_connect_ex(ConnectionObject *self, PyObject *arg)
{
    return socket_connect(self, "connect_ex", arg);
}

PyDoc_STRVAR(connection_accept_doc,
"accept($self, /)\n--\n\n"
"Accept a connection on the listening socket; return (Connection,\n"
"address), the Connection made from this one's Context, server side.");

static PyObject *
connection_accept(ConnectionObject *self, PyObject *Py_UNUSED(ignored))
{
    if (need_socket(self) < 0) {
        return NULL;
    }
    PyObject *pair = PyObject_CallMethod(self->socket, "accept", NULL);
    if (pair == NULL) {
        return NULL;
    }
    if (!PyTuple_Check(pair) || PyTuple_GET_SIZE(pair) != 2) {
        Py_DECREF(pair);
        PyErr_SetString(PyExc_TypeError,
                        "socket.accept() did not return (socket, address)");
        return NULL;
    }
    ssl_state *st = CONN_STATE(self);
    /* Always a plain Connection, as pyOpenSSL makes it: a subclass's
       __init__ would not run here. */
    PyObject *conn = connection_make(st, st->Connection_Type,
                                     (PyObject *)self->context,
                                     PyTuple_GET_ITEM(pair, 0));
    if (conn == NULL) {
        Py_DECREF(pair);
        return NULL;
    }
    SSL_set_accept_state(((ConnectionObject *)conn)->ssl);
    PyObject *result = PyTuple_Pack(2, conn, PyTuple_GET_ITEM(pair, 1));
    Py_DECREF(conn);
    Py_DECREF(pair);
    return result;
}

PyDoc_STRVAR(connection_sock_shutdown_doc,
"sock_shutdown($self, *args, **kwargs)\n--\n\n"
"Call shutdown() of the socket (see shutdown(2)).");

static PyObject *
connection_sock_shutdown(ConnectionObject *self, PyObject *args,
                         PyObject *kwds)
{
    if (need_socket(self) < 0) {
        return NULL;
    }
    PyObject *method = PyObject_GetAttrString(self->socket, "shutdown");
    if (method == NULL) {
        return NULL;
    }
    PyObject *result = PyObject_Call(method, args, kwds);
    Py_DECREF(method);
    return result;
}

/* ---- state ---------------------------------------------------------------- */

PyDoc_STRVAR(connection_set_accept_state_doc,
"set_accept_state($self, /)\n--\n\nMake this the server side.");

static PyObject *
connection_set_accept_state(ConnectionObject *self,
                            PyObject *Py_UNUSED(ignored))
{
    SSL_set_accept_state(self->ssl);
    Py_RETURN_NONE;
}

PyDoc_STRVAR(connection_set_connect_state_doc,
"set_connect_state($self, /)\n--\n\nMake this the client side.");

static PyObject *
connection_set_connect_state(ConnectionObject *self,
                             PyObject *Py_UNUSED(ignored))
{
    SSL_set_connect_state(self->ssl);
    Py_RETURN_NONE;
}

PyDoc_STRVAR(connection_want_read_doc,
"want_read($self, /)\n--\n\n"
"Whether the last operation needs more data from the transport.");

static PyObject *
connection_want_read(ConnectionObject *self, PyObject *Py_UNUSED(ignored))
{
    return PyBool_FromLong(SSL_want_read(self->ssl));
}

PyDoc_STRVAR(connection_want_write_doc,
"want_write($self, /)\n--\n\n"
"Whether the last operation has data to hand to the transport.");

static PyObject *
connection_want_write(ConnectionObject *self, PyObject *Py_UNUSED(ignored))
{
    return PyBool_FromLong(SSL_want_write(self->ssl));
}

PyDoc_STRVAR(connection_get_shutdown_doc,
"get_shutdown($self, /)\n--\n\n"
"The shutdown state: SENT_SHUTDOWN and RECEIVED_SHUTDOWN bits.");

static PyObject *
connection_get_shutdown(ConnectionObject *self, PyObject *Py_UNUSED(ignored))
{
    return PyLong_FromLong(SSL_get_shutdown(self->ssl));
}

PyDoc_STRVAR(connection_set_shutdown_doc,
"set_shutdown($self, state, /)\n--\n\n"
"Set the shutdown state bits (SENT_SHUTDOWN, RECEIVED_SHUTDOWN).");

static PyObject *
connection_set_shutdown(ConnectionObject *self, PyObject *arg)
{
    int state;
    if (ossl_int_arg(arg, "state", &state) < 0) {
        return NULL;
    }
    SSL_set_shutdown(self->ssl, state);
    Py_RETURN_NONE;
}

PyDoc_STRVAR(connection_get_state_string_doc,
"get_state_string($self, /)\n--\n\n"
"OpenSSL's description of the handshake state, as bytes.");

static PyObject *
connection_get_state_string(ConnectionObject *self,
                            PyObject *Py_UNUSED(ignored))
{
    return PyBytes_FromString(SSL_state_string_long(self->ssl));
}

PyDoc_STRVAR(connection_get_app_data_doc,
"get_app_data($self, /)\n--\n\nThe object given to set_app_data, or None.");

static PyObject *
connection_get_app_data(ConnectionObject *self, PyObject *Py_UNUSED(ignored))
{
    return Py_NewRef(self->app_data != NULL ? self->app_data : Py_None);
}

PyDoc_STRVAR(connection_set_app_data_doc,
"set_app_data($self, data, /)\n--\n\nKeep any object with the Connection.");

static PyObject *
connection_set_app_data(ConnectionObject *self, PyObject *arg)
{
    Py_XSETREF(self->app_data, Py_NewRef(arg));
    Py_RETURN_NONE;
}

/* ---- certificates ---------------------------------------------------------- */

PyDoc_STRVAR(connection_get_certificate_doc,
"get_certificate($self, *, as_cryptography=False)\n--\n\n"
"Our own certificate, or None.");

static PyObject *
connection_get_certificate(ConnectionObject *self, PyObject *args,
                           PyObject *kwds)
{
    int as_crypto;
    if (parse_as_cryptography(args, kwds, "get_certificate", &as_crypto) < 0) {
        return NULL;
    }
    X509 *x509 = SSL_get_certificate(self->ssl);
    if (x509 == NULL) {
        Py_RETURN_NONE;
    }
    return ssl_x509_out(CONN_STATE(self), x509, as_crypto);
}

PyDoc_STRVAR(connection_get_peer_certificate_doc,
"get_peer_certificate($self, *, as_cryptography=False)\n--\n\n"
"The peer's certificate, or None.");

static PyObject *
connection_get_peer_certificate(ConnectionObject *self, PyObject *args,
                                PyObject *kwds)
{
    int as_crypto;
    if (parse_as_cryptography(args, kwds, "get_peer_certificate",
                              &as_crypto) < 0) {
        return NULL;
    }
    X509 *x509 = SSL_get1_peer_certificate(self->ssl);
    if (x509 == NULL) {
        Py_RETURN_NONE;
    }
    PyObject *result = ssl_x509_out(CONN_STATE(self), x509, as_crypto);
    X509_free(x509);
    return result;
}

PyDoc_STRVAR(connection_get_peer_cert_chain_doc,
"get_peer_cert_chain($self, *, as_cryptography=False)\n--\n\n"
"The certificates the peer sent, whatever the verify mode; None before it\n"
"sent any.  As in OpenSSL (and pyOpenSSL), a server's list leaves out the\n"
"client's own certificate (see get_peer_certificate).");

static PyObject *
connection_get_peer_cert_chain(ConnectionObject *self, PyObject *args,
                               PyObject *kwds)
{
    int as_crypto;
    if (parse_as_cryptography(args, kwds, "get_peer_cert_chain",
                              &as_crypto) < 0) {
        return NULL;
    }
    ssl_state *st = CONN_STATE(self);
    STACK_OF(X509) *chain = SSL_get_peer_cert_chain(self->ssl);
    if (chain == NULL) {
        Py_RETURN_NONE;
    }
    return ssl_x509_list(st, chain, as_crypto);
}

PyDoc_STRVAR(connection_get_verified_chain_doc,
"get_verified_chain($self, *, as_cryptography=False)\n--\n\n"
"The chain OpenSSL built from the peer's certificate to a trusted root,\n"
"peer first, or None.  With VERIFY_NONE it is the chain as far as it\n"
"could be built; on a client that resumed a session, the chain verified\n"
"when the session was made.");

static PyObject *
connection_get_verified_chain(ConnectionObject *self, PyObject *args,
                              PyObject *kwds)
{
    int as_crypto;
    if (parse_as_cryptography(args, kwds, "get_verified_chain",
                              &as_crypto) < 0) {
        return NULL;
    }
    STACK_OF(X509) *chain = SSL_get0_verified_chain(self->ssl);
    if (chain == NULL) {
        /* A resumed session: the chain its full handshake verified. */
        chain = ssl_session_verified_chain(self->ssl);
    }
    if (chain == NULL) {
        Py_RETURN_NONE;
    }
    return ssl_x509_list(CONN_STATE(self), chain, as_crypto);
}

PyDoc_STRVAR(connection_get_verify_result_doc,
"get_verify_result($self, /)\n--\n\n"
"The X509_V_* result of verifying the peer (X509VerificationCodes).");

static PyObject *
connection_get_verify_result(ConnectionObject *self,
                             PyObject *Py_UNUSED(ignored))
{
    return PyLong_FromLong(SSL_get_verify_result(self->ssl));
}

PyDoc_STRVAR(connection_get_client_ca_list_doc,
"get_client_ca_list($self, *, as_cryptography=False)\n--\n\n"
"The CA names a server sends (or, on a client, received) as acceptable\n"
"issuers of client certificates: X509Name objects, or cryptography\n"
"x509.Name objects with as_cryptography=True.");

/* A cryptography x509.Name with the DER encoding of `name`. */
static PyObject *
name_to_cryptography(const X509_NAME *name)
{
    unsigned char *der = NULL;
    int len = i2d_X509_NAME(name, &der);
    if (len < 0) {
        PyErr_SetString(PyExc_ValueError, "the name cannot be encoded");
        return NULL;
    }
    PyObject *bytes = PyBytes_FromStringAndSize((const char *)der, len);
    OPENSSL_free(der);
    if (bytes == NULL) {
        return NULL;
    }
    PyObject *x509mod = PyImport_ImportModule("cryptography.x509");
    PyObject *result = NULL;
    if (x509mod != NULL) {
        PyObject *cls = PyObject_GetAttrString(x509mod, "Name");
        if (cls != NULL) {
            result = PyObject_CallMethod(cls, "from_bytes", "O", bytes);
            Py_DECREF(cls);
        }
        Py_DECREF(x509mod);
    }
    Py_DECREF(bytes);
    return result;
}

static PyObject *
connection_get_client_ca_list(ConnectionObject *self, PyObject *args,
                              PyObject *kwds)
{
    int as_crypto;
    if (parse_as_cryptography(args, kwds, "get_client_ca_list",
                              &as_crypto) < 0) {
        return NULL;
    }
    ssl_state *st = CONN_STATE(self);
    STACK_OF(X509_NAME) *names = SSL_get_client_CA_list(self->ssl);
    int n = names != NULL ? sk_X509_NAME_num(names) : 0;
    PyObject *list = PyList_New(n);
    if (list == NULL) {
        return NULL;
    }
    for (int i = 0; i < n; i++) {
        const X509_NAME *name = sk_X509_NAME_value(names, i);
        PyObject *item = as_crypto
            ? name_to_cryptography(name)
            : st->crypto->x509name_from_ptr(st->crypto, name);
        if (item == NULL) {
            Py_DECREF(list);
            return NULL;
        }
        PyList_SET_ITEM(list, i, item);
    }
    return list;
}

/* ---- the negotiated parameters --------------------------------------------- */

PyDoc_STRVAR(connection_get_cipher_list_doc,
"get_cipher_list($self, /)\n--\n\n"
"The names of the ciphers this Connection offers, in order.");

static PyObject *
connection_get_cipher_list(ConnectionObject *self, PyObject *Py_UNUSED(ignored))
{
    PyObject *list = PyList_New(0);
    if (list == NULL) {
        return NULL;
    }
    const char *name;
    for (int i = 0; (name = SSL_get_cipher_list(self->ssl, i)) != NULL; i++) {
        PyObject *s = PyUnicode_FromString(name);
        if (s == NULL || PyList_Append(list, s) < 0) {
            Py_XDECREF(s);
            Py_DECREF(list);
            return NULL;
        }
        Py_DECREF(s);
    }
    return list;
}

PyDoc_STRVAR(connection_get_cipher_name_doc,
"get_cipher_name($self, /)\n--\n\nThe negotiated cipher's name, or None.");

static PyObject *
connection_get_cipher_name(ConnectionObject *self, PyObject *Py_UNUSED(ignored))
{
    const SSL_CIPHER *cipher = SSL_get_current_cipher(self->ssl);
    if (cipher == NULL) {
        Py_RETURN_NONE;
    }
    return PyUnicode_FromString(SSL_CIPHER_get_name(cipher));
}

PyDoc_STRVAR(connection_get_cipher_bits_doc,
"get_cipher_bits($self, /)\n--\n\n"
"The negotiated cipher's secret bits, or None.");

static PyObject *
connection_get_cipher_bits(ConnectionObject *self, PyObject *Py_UNUSED(ignored))
{
    const SSL_CIPHER *cipher = SSL_get_current_cipher(self->ssl);
    if (cipher == NULL) {
        Py_RETURN_NONE;
    }
    return PyLong_FromLong(SSL_CIPHER_get_bits(cipher, NULL));
}

PyDoc_STRVAR(connection_get_cipher_version_doc,
"get_cipher_version($self, /)\n--\n\n"
"The protocol version the negotiated cipher belongs to, or None.");

static PyObject *
connection_get_cipher_version(ConnectionObject *self,
                              PyObject *Py_UNUSED(ignored))
{
    const SSL_CIPHER *cipher = SSL_get_current_cipher(self->ssl);
    if (cipher == NULL) {
        Py_RETURN_NONE;
    }
    return PyUnicode_FromString(SSL_CIPHER_get_version(cipher));
}

PyDoc_STRVAR(connection_get_protocol_version_name_doc,
"get_protocol_version_name($self, /)\n--\n\n"
"The protocol version in use, e.g. 'TLSv1.3'.");

static PyObject *
connection_get_protocol_version_name(ConnectionObject *self,
                                     PyObject *Py_UNUSED(ignored))
{
    return PyUnicode_FromString(SSL_get_version(self->ssl));
}

PyDoc_STRVAR(connection_get_protocol_version_doc,
"get_protocol_version($self, /)\n--\n\n"
"The protocol version in use, as a *_VERSION number.");

static PyObject *
connection_get_protocol_version(ConnectionObject *self,
                                PyObject *Py_UNUSED(ignored))
{
    return PyLong_FromLong(SSL_version(self->ssl));
}

PyDoc_STRVAR(connection_get_group_name_doc,
"get_group_name($self, /)\n--\n\n"
"The key exchange group negotiated (e.g. 'x25519'), or None.");

static PyObject *
connection_get_group_name(ConnectionObject *self, PyObject *Py_UNUSED(ignored))
{
    int nid = SSL_get_negotiated_group(self->ssl);
    if (nid == 0 || nid == NID_undef) {
        Py_RETURN_NONE;
    }
    const char *name = SSL_group_to_name(self->ssl, nid);
    if (name == NULL) {
        Py_RETURN_NONE;
    }
    return PyUnicode_FromString(name);
}

PyDoc_STRVAR(connection_server_random_doc,
"server_random($self, /)\n--\n\n"
"The server hello's random value, or None before there is a session.");

/* A hello's random value through `get` (SSL_get_server_random or
   SSL_get_client_random, which give its length when asked for none). */
static PyObject *
hello_random(ConnectionObject *self,
             size_t (*get)(const SSL *, unsigned char *, size_t))
{
    if (SSL_get_session(self->ssl) == NULL) {
        Py_RETURN_NONE;
    }
    size_t n = get(self->ssl, NULL, 0);
    PyObject *result = PyBytes_FromStringAndSize(NULL, (Py_ssize_t)n);
    if (result != NULL) {
        get(self->ssl, (unsigned char *)PyBytes_AS_STRING(result), n);
    }
    return result;
}

static PyObject *
connection_server_random(ConnectionObject *self, PyObject *Py_UNUSED(ignored))
{
    return hello_random(self, SSL_get_server_random);
}

PyDoc_STRVAR(connection_client_random_doc,
"client_random($self, /)\n--\n\n"
"The client hello's random value, or None before there is a session.");

static PyObject *
connection_client_random(ConnectionObject *self, PyObject *Py_UNUSED(ignored))
{
    return hello_random(self, SSL_get_client_random);
}

PyDoc_STRVAR(connection_master_key_doc,
"master_key($self, /)\n--\n\n"
"The session's master secret, or None before there is a session.");

static PyObject *
connection_master_key(ConnectionObject *self, PyObject *Py_UNUSED(ignored))
{
    SSL_SESSION *session = SSL_get_session(self->ssl);
    if (session == NULL) {
        Py_RETURN_NONE;
    }
    size_t n = SSL_SESSION_get_master_key(session, NULL, 0);
    PyObject *result = PyBytes_FromStringAndSize(NULL, (Py_ssize_t)n);
    if (result != NULL) {
        SSL_SESSION_get_master_key(
            session, (unsigned char *)PyBytes_AS_STRING(result), n);
    }
    return result;
}

PyDoc_STRVAR(connection_export_keying_material_doc,
"export_keying_material($self, label, olen, context=None)\n--\n\n"
"olen bytes of keying material for label (RFC 5705 / RFC 8446), bound to\n"
"context when given.");

static PyObject *
connection_export_keying_material(ConnectionObject *self, PyObject *args,
                                  PyObject *kwds)
{
    static char *kwlist[] = {"label", "olen", "context", NULL};
    ossl_bytes label = OSSL_BYTES("label");
    ossl_bytes context = OSSL_BYTES_OR_NONE("context");
    Py_ssize_t olen;
    if (!PyArg_ParseTupleAndKeywords(args, kwds,
                                     "O&n|O&:export_keying_material", kwlist,
                                     ossl_bytes_conv, &label, &olen,
                                     ossl_bytes_conv, &context)) {
        return NULL;
    }
    PyObject *result = NULL;
    if (olen < 0) {
        PyErr_SetString(PyExc_ValueError, "olen must not be negative");
        goto done;
    }
    /* Before the handshake there are no keys; OpenSSL 3.0 may still
       report success without writing the output. */
    if (!SSL_is_init_finished(self->ssl)) {
        ossl_raise_msg(CONN_STATE(self)->Error,
                       "export_keying_material needs a finished handshake");
        goto done;
    }
    result = PyBytes_FromStringAndSize(NULL, olen);
    if (result == NULL) {
        goto done;
    }
    memset(PyBytes_AS_STRING(result), 0, (size_t)olen);
    if (!SSL_export_keying_material(
            self->ssl, (unsigned char *)PyBytes_AS_STRING(result), (size_t)olen,
            label.data, (size_t)label.len, (const unsigned char *)context.data,
            (size_t)context.len, context.data != NULL)) {
        Py_CLEAR(result);
        ossl_raise(CONN_STATE(self)->Error);
    }
done:
    ossl_bytes_release(&label);
    ossl_bytes_release(&context);
    return result;
}

static PyObject *
finished_message(ConnectionObject *self, int peer)
{
    size_t n = peer ? SSL_get_peer_finished(self->ssl, NULL, 0)
                    : SSL_get_finished(self->ssl, NULL, 0);
    if (n == 0) {
        Py_RETURN_NONE;
    }
    PyObject *result = PyBytes_FromStringAndSize(NULL, (Py_ssize_t)n);
    if (result != NULL) {
        char *buf = PyBytes_AS_STRING(result);
        if (peer) {
            SSL_get_peer_finished(self->ssl, buf, n);
        }
        else {
            SSL_get_finished(self->ssl, buf, n);
        }
    }
    return result;
}

PyDoc_STRVAR(connection_get_finished_doc,
"get_finished($self, /)\n--\n\n"
"The last Finished message we sent, or None.");

static PyObject *
connection_get_finished(ConnectionObject *self, PyObject *Py_UNUSED(ignored))
{
    return finished_message(self, 0);
}

PyDoc_STRVAR(connection_get_peer_finished_doc,
"get_peer_finished($self, /)\n--\n\n"
"The last Finished message the peer sent, or None.");

static PyObject *
connection_get_peer_finished(ConnectionObject *self,
                             PyObject *Py_UNUSED(ignored))
{
    return finished_message(self, 1);
}

/* ---- sessions ---------------------------------------------------------- */

PyDoc_STRVAR(connection_get_session_doc,
"get_session($self, /)\n--\n\nThe Session in use, or None.");

static PyObject *
connection_get_session(ConnectionObject *self, PyObject *Py_UNUSED(ignored))
{
    SSL_SESSION *session = SSL_get1_session(self->ssl);
    if (session == NULL) {
        Py_RETURN_NONE;
    }
    PyObject *result = ssl_session_wrap(CONN_STATE(self), session);
    SSL_SESSION_free(session);
    return result;
}

PyDoc_STRVAR(connection_set_session_doc,
"set_session($self, session, /)\n--\n\n"
"Offer session (from get_session() of an earlier Connection) for\n"
"resumption; call before the handshake.");

static PyObject *
connection_set_session(ConnectionObject *self, PyObject *arg)
{
    ssl_state *st = CONN_STATE(self);
    if (!PyObject_TypeCheck(arg, st->Session_Type)) {
        PyErr_Format(PyExc_TypeError,
                     "session must be a Session instance, not %.100s",
                     Py_TYPE(arg)->tp_name);
        return NULL;
    }
    SSL_SESSION *session = ((SessionObject *)arg)->session;
    if (session == NULL) {
        PyErr_SetString(PyExc_ValueError, "session is empty");
        return NULL;
    }
    if (!SSL_set_session(self->ssl, session)) {
        return ossl_raise(st->Error);
    }
    Py_RETURN_NONE;
}

/* ---- the method table ------------------------------------------------------- */

#define METH SSL_CONNECTION_METHOD
#define ALIAS(alias, name, flags) \
    {#alias, (PyCFunction)(void (*)(void))connection_##name, flags, \
     connection_##name##_doc}

static PyMethodDef connection_methods[] = {
    METH(__getattr__, METH_O),
    METH(get_context, METH_NOARGS),
    METH(set_context, METH_O),
    METH(set_options, METH_O),
    METH(set_verify, METH_VARARGS | METH_KEYWORDS),
    METH(get_verify_mode, METH_NOARGS),
    METH(use_certificate, METH_O),
    METH(use_privatekey, METH_O),
    METH(set_info_callback, METH_O),
    METH(get_servername, METH_NOARGS),
    METH(set_tlsext_host_name, METH_O),
    METH(do_handshake, METH_NOARGS),
    METH(recv, METH_FASTCALL | METH_KEYWORDS),
    ALIAS(read, recv, METH_FASTCALL | METH_KEYWORDS),
    METH(recv_into, METH_FASTCALL | METH_KEYWORDS),
    METH(send, METH_FASTCALL | METH_KEYWORDS),
    ALIAS(write, send, METH_FASTCALL | METH_KEYWORDS),
    METH(sendall, METH_FASTCALL | METH_KEYWORDS),
    METH(pending, METH_NOARGS),
    METH(shutdown, METH_NOARGS),
    METH(renegotiate, METH_NOARGS),
    METH(renegotiate_pending, METH_NOARGS),
    METH(total_renegotiations, METH_NOARGS),
    METH(bio_read, METH_O),
    METH(bio_write, METH_O),
    METH(bio_shutdown, METH_NOARGS),
    METH(connect, METH_O),
    METH(connect_ex, METH_O),
    METH(accept, METH_NOARGS),
    METH(sock_shutdown, METH_VARARGS | METH_KEYWORDS),
    METH(set_accept_state, METH_NOARGS),
    METH(set_connect_state, METH_NOARGS),
    METH(want_read, METH_NOARGS),
    METH(want_write, METH_NOARGS),
    METH(get_shutdown, METH_NOARGS),
    METH(set_shutdown, METH_O),
    METH(get_state_string, METH_NOARGS),
    ALIAS(state_string, get_state_string, METH_NOARGS),
    METH(get_app_data, METH_NOARGS),
    METH(set_app_data, METH_O),
    METH(get_certificate, METH_VARARGS | METH_KEYWORDS),
    METH(get_peer_certificate, METH_VARARGS | METH_KEYWORDS),
    METH(get_peer_cert_chain, METH_VARARGS | METH_KEYWORDS),
    METH(get_verified_chain, METH_VARARGS | METH_KEYWORDS),
    METH(get_verify_result, METH_NOARGS),
    METH(get_client_ca_list, METH_VARARGS | METH_KEYWORDS),
    METH(get_cipher_list, METH_NOARGS),
    METH(get_cipher_name, METH_NOARGS),
    METH(get_cipher_bits, METH_NOARGS),
    METH(get_cipher_version, METH_NOARGS),
    METH(get_protocol_version_name, METH_NOARGS),
    METH(get_protocol_version, METH_NOARGS),
    METH(get_group_name, METH_NOARGS),
    METH(server_random, METH_NOARGS),
    METH(client_random, METH_NOARGS),
    METH(master_key, METH_NOARGS),
    METH(export_keying_material, METH_VARARGS | METH_KEYWORDS),
    METH(get_finished, METH_NOARGS),
    METH(get_peer_finished, METH_NOARGS),
    METH(get_session, METH_NOARGS),
    METH(set_session, METH_O),
    {NULL, NULL, 0, NULL},
};

static PyMemberDef connection_members[] = {
    {"__weaklistoffset__", T_PYSSIZET, offsetof(ConnectionObject, weakreflist),
     READONLY, NULL},
    {"__dictoffset__", T_PYSSIZET, offsetof(ConnectionObject, dict), READONLY,
     NULL},
    {NULL},
};

static PyType_Slot connection_slots[] = {
    {Py_tp_doc, "Connection(context, socket=None)\n--\n\n"
                "A TLS connection made from context over socket (any object\n"
                "with fileno()), or over a pair of memory BIOs when socket is\n"
                "None.  Attributes it does not have come from the socket."},
    {Py_tp_new, connection_new},
    {Py_tp_init, connection_init},
    {Py_tp_dealloc, connection_dealloc},
    {Py_tp_traverse, connection_traverse},
    {Py_tp_clear, connection_clear},
    {Py_tp_getattro, connection_getattro},
    {Py_tp_methods, connection_methods},
    {Py_tp_members, connection_members},
    {0, NULL},
};

/* The methods that live with their feature, after connection_methods. */
static PyMethodDef *const connection_feature_methods[] = {
    ssl_tlsext_connection_methods,
    ssl_dtls_connection_methods,
    ssl_fileio_connection_methods,
    NULL,
};

static PyType_Spec connection_spec = {
    .name = "OpenSSL.SSL.Connection",
    .basicsize = sizeof(ConnectionObject),
    .flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_BASETYPE | Py_TPFLAGS_HAVE_GC,
    .slots = connection_slots,
};

int
ssl_init_connection(PyObject *module, ssl_state *st)
{
    static PyMethodDef *all_methods;
    /* 0.13 had the type under the name ConnectionType as well. */
    st->Connection_Type = ssl_add_type(module, &connection_spec,
                                       connection_feature_methods,
                                       &all_methods, "ConnectionType");
    return st->Connection_Type != NULL ? 0 : -1;
}
