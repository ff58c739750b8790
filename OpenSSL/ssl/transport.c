/*
 * The transports under a Connection, and what a failed TLS I/O call means
 * for the caller.
 *
 *   socket   an object with fileno(): OpenSSL's socket BIO on that
 *            descriptor, so records move without Python in the loop
 *   None     two memory BIOs: bio_write feeds `into_ssl`, bio_read drains
 *            `from_ssl`
 *   object   with read()/write() but no fileno(): the BIO of pybio.c
 */
#include "ssl.h"

#include <errno.h>
#include <string.h>

int
ssl_transport_attach(ssl_state *st, ConnectionObject *conn, PyObject *transport)
{
    if (transport == Py_None) {
        conn->into_ssl = BIO_new(BIO_s_mem());
        conn->from_ssl = BIO_new(BIO_s_mem());
        if (conn->into_ssl == NULL || conn->from_ssl == NULL) {
            BIO_free(conn->into_ssl);
            BIO_free(conn->from_ssl);
            conn->into_ssl = conn->from_ssl = NULL;
            ossl_raise(st->Error);
            return -1;
        }
        /* An empty incoming BIO means "no data yet" (retry), not EOF, until
           bio_shutdown() says otherwise. */
        BIO_set_mem_eof_return(conn->into_ssl, -1);
        BIO_set_mem_eof_return(conn->from_ssl, -1);
        /* SSL_set_bio takes over both BIOs; they die with the SSL. */
        SSL_set_bio(conn->ssl, conn->into_ssl, conn->from_ssl);
        conn->transport = SSL_TRANSPORT_MEMORY;
        return 0;
    }
    /* A descriptor as an int works too, as in pyOpenSSL.  An object with
       read()/write() but no fileno() gets the Python-object BIO. */
    if (!PyLong_Check(transport)
        && !PyObject_HasAttrString(transport, "fileno")) {
        if (PyObject_HasAttrString(transport, "read")
            && PyObject_HasAttrString(transport, "write")) {
            return ssl_pybio_attach(st, conn, transport);
        }
        PyErr_Format(PyExc_TypeError,
                     "socket must be None, an object with fileno() (a "
                     "socket) or one with read() and write(), not %.100s",
                     Py_TYPE(transport)->tp_name);
        return -1;
    }
    int fd = PyObject_AsFileDescriptor(transport);
    if (fd < 0) {
        return -1;
    }
    int udp = ssl_dtls_attach_udp(st, conn, fd);
    if (udp < 0) {
        return -1;
    }
    if (!udp && !SSL_set_fd(conn->ssl, fd)) {
        ossl_raise(st->Error);
        return -1;
    }
    conn->socket = Py_NewRef(transport);
    conn->transport = SSL_TRANSPORT_SOCKET;
    return 0;
}

int
ssl_raise_stashed(ConnectionObject *conn)
{
    return ossl_unstash_exception(&conn->callback_error);
}

static PyObject *
raise_syscall(ssl_state *st, int err, const char *message)
{
    PyObject *args = Py_BuildValue("(is)", err, message);
    if (args != NULL) {
        PyErr_SetObject(st->SysCallError, args);
        Py_DECREF(args);
    }
    return NULL;
}

int
ssl_io_check(ConnectionObject *conn, const ssl_io_result *io, int failed)
{
    if (failed) {
        ssl_raise_io_error(conn, io);
        return -1;
    }
    return ssl_raise_stashed(conn) ? -1 : 0;
}

PyObject *
ssl_raise_io_error(ConnectionObject *conn, const ssl_io_result *io)
{
    ssl_state *st = ssl_state_of((PyObject *)conn);
    if (st == NULL) {
        ERR_clear_error();
        return NULL;
    }
    /* A callback's exception is the cause of whatever OpenSSL reports. */
    if (ssl_raise_stashed(conn)) {
        return NULL;
    }
    switch (io->ssl_error) {
    case SSL_ERROR_WANT_READ:
        ERR_clear_error();
        PyErr_SetNone(st->WantReadError);
        return NULL;
    case SSL_ERROR_WANT_WRITE:
        ERR_clear_error();
        PyErr_SetNone(st->WantWriteError);
        return NULL;
    case SSL_ERROR_ZERO_RETURN:
        ERR_clear_error();
        PyErr_SetNone(st->ZeroReturnError);
        return NULL;
    case SSL_ERROR_WANT_X509_LOOKUP:
        ERR_clear_error();
        PyErr_SetNone(st->WantX509LookupError);
        return NULL;
    case SSL_ERROR_SYSCALL:
        if (ERR_peek_error() == 0 || io->saved_errno != 0) {
            ERR_clear_error();
            if (io->ret < 0 && io->saved_errno != 0) {
                return raise_syscall(st, io->saved_errno,
                                     strerror(io->saved_errno));
            }
            return raise_syscall(st, -1, "Unexpected EOF");
        }
        return ossl_raise(st->Error);
    case SSL_ERROR_SSL: {
        /* OpenSSL 3 reports a peer that vanished without close_notify as a
           protocol error; pyOpenSSL (and the code written for it) calls it
           SysCallError(-1, "Unexpected EOF"). */
        unsigned long code = ERR_peek_error();
        if (ERR_GET_LIB(code) == ERR_LIB_SSL
            && ERR_GET_REASON(code) == SSL_R_UNEXPECTED_EOF_WHILE_READING) {
            ERR_clear_error();
            return raise_syscall(st, -1, "Unexpected EOF");
        }
        return ossl_raise(st->Error);
    }
    default:
        return ossl_raise(st->Error);
    }
}
