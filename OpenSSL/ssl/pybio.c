/*
 * The Python-object transport: a BIO whose read and write call the
 * transport's read(n) and write(data), so TLS runs over anything that moves
 * bytes (a pipe wrapper, a websocket, an SSH channel, a test double).
 *
 *   read(n)    bytes-like of at most n bytes; b"" is end of file; None or
 *              BlockingIOError means "nothing yet" (WantReadError)
 *   write(b)   how many bytes it took (an int); None or BlockingIOError
 *              means "cannot take any now" (WantWriteError)
 *
 * Any other exception is kept on the Connection and raised by the call
 * that made OpenSSL read or write; OpenSSL sees a failed transport.
 *
 * OpenSSL calls these with the GIL released (the Connection's I/O runs
 * without it); ossl_callback_enter takes it back from the thread-local slot.
 */
#include "ssl.h"

#include <limits.h>
#include <string.h>

static BIO_METHOD *pybio_method;   /* one for the process, never freed */

typedef struct {
    ConnectionObject *conn;    /* borrowed: it owns the SSL that owns us */
    int eof;                   /* read() returned b"" */
} pybio_data;

static ConnectionObject *
pybio_connection(BIO *bio)
{
    pybio_data *data = BIO_get_data(bio);
    return data != NULL ? data->conn : NULL;
}

/* BlockingIOError, or a None result: the transport would block. */
static int
would_block(PyObject *result)
{
    if (result == NULL) {
        if (PyErr_ExceptionMatches(PyExc_BlockingIOError)) {
            PyErr_Clear();
            return 1;
        }
        return 0;
    }
    return result == Py_None;
}

static int
pybio_read(BIO *bio, char *out, int outl)
{
    BIO_clear_retry_flags(bio);
    ConnectionObject *conn = pybio_connection(bio);
    if (conn == NULL || outl <= 0) {
        return 0;
    }
    int result = -1;
    ossl_callback_state cs;
    ossl_callback_enter(&cs);
    if (conn->socket == NULL || conn->callback_error != NULL) {
        /* The transport is gone, or an earlier read/write failed. */
        goto done;
    }
    PyObject *data = PyObject_CallMethod(conn->socket, "read", "i", outl);
    if (would_block(data)) {
        Py_XDECREF(data);
        BIO_set_retry_read(bio);
        goto done;
    }
    if (data == NULL) {
        ossl_stash_exception(&conn->callback_error);
        goto done;
    }
    Py_buffer view;
    if (PyObject_GetBuffer(data, &view, PyBUF_SIMPLE) < 0) {
        PyErr_Format(PyExc_TypeError,
                     "the transport's read() must return a bytes-like "
                     "object or None, not %.100s", Py_TYPE(data)->tp_name);
        Py_DECREF(data);
        ossl_stash_exception(&conn->callback_error);
        goto done;
    }
    if (view.len > outl) {
        PyErr_Format(PyExc_ValueError,
                     "the transport's read(%d) returned %zd bytes", outl,
                     view.len);
        ossl_stash_exception(&conn->callback_error);
    }
    else {
        memcpy(out, view.buf, (size_t)view.len);
        result = (int)view.len;
        if (result == 0) {
            /* End of file: BIO_eof() now says so, which OpenSSL asks to
               tell a vanished peer from a would-block. */
            ((pybio_data *)BIO_get_data(bio))->eof = 1;
        }
    }
    PyBuffer_Release(&view);
    Py_DECREF(data);
done:
    ossl_callback_leave(&cs);
    return result;
}

static int
pybio_write(BIO *bio, const char *in, int inl)
{
    BIO_clear_retry_flags(bio);
    ConnectionObject *conn = pybio_connection(bio);
    if (conn == NULL || inl <= 0) {
        return 0;
    }
    int result = -1;
    ossl_callback_state cs;
    ossl_callback_enter(&cs);
    if (conn->socket == NULL || conn->callback_error != NULL) {
        goto done;
    }
    /* A copy: the transport may keep what it is given. */
    PyObject *ret = PyObject_CallMethod(conn->socket, "write", "y#", in,
                                        (Py_ssize_t)inl);
    if (would_block(ret)) {
        Py_XDECREF(ret);
        BIO_set_retry_write(bio);
        goto done;
    }
    if (ret == NULL) {
        ossl_stash_exception(&conn->callback_error);
        goto done;
    }
    if (!PyLong_Check(ret)) {
        PyErr_Format(PyExc_TypeError,
                     "the transport's write() must return the number of "
                     "bytes written (an int) or None, not %.100s",
                     Py_TYPE(ret)->tp_name);
        Py_DECREF(ret);
        ossl_stash_exception(&conn->callback_error);
        goto done;
    }
    long n = PyLong_AsLong(ret);
    Py_DECREF(ret);
    if (n == -1 && PyErr_Occurred()) {
        ossl_stash_exception(&conn->callback_error);
    }
    else if (n < 0 || n > inl) {
        PyErr_Format(PyExc_ValueError,
                     "the transport's write() of %d bytes returned %ld", inl,
                     n);
        ossl_stash_exception(&conn->callback_error);
    }
    else if (n == 0) {
        /* Took nothing: the same as "would block". */
        BIO_set_retry_write(bio);
    }
    else {
        result = (int)n;
    }
done:
    ossl_callback_leave(&cs);
    return result;
}

static int
pybio_puts(BIO *bio, const char *str)
{
    size_t len = strlen(str);
    return pybio_write(bio, str, len > INT_MAX ? INT_MAX : (int)len);
}

static long
pybio_ctrl(BIO *bio, int cmd, long num, void *ptr)
{
    (void)num;
    (void)ptr;
    pybio_data *data = BIO_get_data(bio);
    switch (cmd) {
    case BIO_CTRL_FLUSH:
        /* write() hands everything over at once. */
        return 1;
    case BIO_CTRL_EOF:
        return data != NULL && data->eof;
    default:
        /* Like a memory BIO: no pending counts, no MTU, no peer address;
           DTLS then uses its defaults (set an MTU with
           set_ciphertext_mtu). */
        return 0;
    }
}

static int
pybio_create(BIO *bio)
{
    BIO_set_data(bio, NULL);
    BIO_set_init(bio, 1);
    return 1;
}

static int
pybio_destroy(BIO *bio)
{
    if (bio == NULL) {
        return 0;
    }
    /* The Connection owns the transport object. */
    OPENSSL_free(BIO_get_data(bio));
    BIO_set_data(bio, NULL);
    return 1;
}

static BIO_METHOD *
pybio_get_method(void)
{
    if (pybio_method != NULL) {
        return pybio_method;
    }
    BIO_METHOD *m = BIO_meth_new(BIO_get_new_index() | BIO_TYPE_SOURCE_SINK,
                                 "Python object transport");
    if (m == NULL || !BIO_meth_set_write(m, pybio_write)
        || !BIO_meth_set_read(m, pybio_read)
        || !BIO_meth_set_puts(m, pybio_puts)
        || !BIO_meth_set_ctrl(m, pybio_ctrl)
        || !BIO_meth_set_create(m, pybio_create)
        || !BIO_meth_set_destroy(m, pybio_destroy)) {
        BIO_meth_free(m);
        return NULL;
    }
    pybio_method = m;
    return m;
}

int
ssl_pybio_attach(ssl_state *st, ConnectionObject *conn, PyObject *transport)
{
    BIO_METHOD *method = pybio_get_method();
    BIO *bio = method != NULL ? BIO_new(method) : NULL;
    pybio_data *data = bio != NULL ? OPENSSL_zalloc(sizeof(*data)) : NULL;
    if (data == NULL) {
        BIO_free(bio);
        ossl_raise(st->Error);
        return -1;
    }
    data->conn = conn;
    BIO_set_data(bio, data);
    /* One BIO both ways: SSL_set_bio then takes over our one reference. */
    SSL_set_bio(conn->ssl, bio, bio);
    conn->socket = Py_NewRef(transport);
    conn->transport = SSL_TRANSPORT_PYTHON;
    return 0;
}
