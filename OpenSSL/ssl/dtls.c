/*
 * DTLS: stateless cookies (the generate/verify callbacks and
 * DTLSv1_listen), retransmission timers and the path MTU.
 *
 * A Connection made with DTLS_METHOD runs over memory BIOs, over a Python
 * object whose read()/write() move whole datagrams, or over a UDP socket.
 */
#include "ssl.h"

#include <errno.h>
#include <limits.h>
#include <string.h>
#include <netinet/in.h>
#include <sys/socket.h>

#define STATE(self) ssl_state_of((PyObject *)(self))

/* ---- UDP sockets ---------------------------------------------------------------- */

/* The socket's connected peer into `addr`; 0 when it has none. */
static int
socket_peer(int fd, BIO_ADDR *addr)
{
    struct sockaddr_storage ss;
    socklen_t len = sizeof(ss);
    if (getpeername(fd, (struct sockaddr *)&ss, &len) != 0) {
        return 0;
    }
    if (ss.ss_family == AF_INET) {
        struct sockaddr_in *in = (struct sockaddr_in *)&ss;
        return BIO_ADDR_rawmake(addr, AF_INET, &in->sin_addr,
                                sizeof(in->sin_addr), in->sin_port);
    }
    if (ss.ss_family == AF_INET6) {
        struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&ss;
        return BIO_ADDR_rawmake(addr, AF_INET6, &in6->sin6_addr,
                                sizeof(in6->sin6_addr), in6->sin6_port);
    }
    return 0;
}

void
ssl_dtls_socket_connected(ConnectionObject *conn)
{
    BIO *bio = SSL_get_rbio(conn->ssl);
    if (bio == NULL || BIO_method_type(bio) != BIO_TYPE_DGRAM) {
        return;
    }
    BIO_ADDR *peer = BIO_ADDR_new();
    if (peer == NULL) {
        return;
    }
    /* A connected datagram BIO send()s instead of sendto()ing the last
       peer it heard from. */
    if (socket_peer(BIO_get_fd(bio, NULL), peer)) {
        BIO_ctrl(bio, BIO_CTRL_DGRAM_SET_CONNECTED, 0, peer);
    }
    BIO_ADDR_free(peer);
}

int
ssl_dtls_attach_udp(ssl_state *st, ConnectionObject *conn, int fd)
{
    if (!SSL_is_dtls(conn->ssl)) {
        return 0;
    }
    int type;
    socklen_t len = sizeof(type);
    if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &len) != 0
        || type != SOCK_DGRAM) {
        return 0;
    }
    /* OpenSSL's datagram BIO: one record flight per datagram, the path
       MTU from the kernel, and in blocking mode reads that time out with
       the DTLS timer so lost packets are sent again. */
    BIO *bio = BIO_new_dgram(fd, BIO_NOCLOSE);
    if (bio == NULL) {
        ossl_raise(st->Error);
        return -1;
    }
    SSL_set_bio(conn->ssl, bio, bio);
    ssl_dtls_socket_connected(conn);
    return 1;
}

/* ---- cookies ------------------------------------------------------------------ */

static int
cookie_generate_trampoline(SSL *ssl, unsigned char *cookie,
                           unsigned int *cookie_len)
{
    ConnectionObject *conn = ssl_connection_of(ssl);
    if (conn == NULL) {
        return 0;
    }
    int result = 0;
    ossl_callback_state cs;
    ossl_callback_enter(&cs);
    PyObject *r = ssl_callback_call(conn, SSL_SLOT_COOKIE_GENERATE, "(O)",
                                    conn);
    if (r != NULL && !PyBytes_Check(r)) {
        PyErr_Format(PyExc_TypeError,
                     "the cookie generate callback must return bytes, "
                     "not %.100s", Py_TYPE(r)->tp_name);
        ossl_stash_exception(&conn->callback_error);
    }
    else if (r != NULL && PyBytes_GET_SIZE(r) > DTLS1_COOKIE_LENGTH) {
        /* The buffer OpenSSL hands us holds DTLS1_COOKIE_LENGTH bytes. */
        PyErr_Format(PyExc_ValueError,
                     "the cookie is %zd bytes long, at most %d fit",
                     PyBytes_GET_SIZE(r), DTLS1_COOKIE_LENGTH);
        ossl_stash_exception(&conn->callback_error);
    }
    else if (r != NULL) {
        memcpy(cookie, PyBytes_AS_STRING(r), (size_t)PyBytes_GET_SIZE(r));
        *cookie_len = (unsigned int)PyBytes_GET_SIZE(r);
        result = 1;
    }
    Py_XDECREF(r);
    ossl_callback_leave(&cs);
    return result;
}

static int
cookie_verify_trampoline(SSL *ssl, const unsigned char *cookie,
                         unsigned int cookie_len)
{
    ConnectionObject *conn = ssl_connection_of(ssl);
    if (conn == NULL) {
        return 0;
    }
    ossl_callback_state cs;
    ossl_callback_enter(&cs);
    PyObject *r = ssl_callback_call(conn, SSL_SLOT_COOKIE_VERIFY, "(Oy#)",
                                    conn, (const char *)cookie,
                                    (Py_ssize_t)cookie_len);
    int truth = r != NULL ? PyObject_IsTrue(r) : 0;
    if (truth < 0) {
        ossl_stash_exception(&conn->callback_error);
    }
    Py_XDECREF(r);
    ossl_callback_leave(&cs);
    return truth > 0;
}

PyDoc_STRVAR(context_set_cookie_generate_callback_doc,
"set_cookie_generate_callback($self, callback, /)\n--\n\n"
"For a DTLS server: callback(connection) returns the cookie (bytes, at\n"
"most 255) a client must echo before DTLSv1_listen lets it in.");

static PyObject *
context_set_cookie_generate_callback(ContextObject *self, PyObject *arg)
{
    if (ssl_callbacks_set(&self->cb, SSL_SLOT_COOKIE_GENERATE, arg, 0) < 0) {
        return NULL;
    }
    SSL_CTX_set_cookie_generate_cb(self->ctx, cookie_generate_trampoline);
    Py_RETURN_NONE;
}

PyDoc_STRVAR(context_set_cookie_verify_callback_doc,
"set_cookie_verify_callback($self, callback, /)\n--\n\n"
"For a DTLS server: callback(connection, cookie) says whether the cookie\n"
"a client echoed is one we gave it.");

static PyObject *
context_set_cookie_verify_callback(ContextObject *self, PyObject *arg)
{
    if (ssl_callbacks_set(&self->cb, SSL_SLOT_COOKIE_VERIFY, arg, 0) < 0) {
        return NULL;
    }
    SSL_CTX_set_cookie_verify_cb(self->ctx, cookie_verify_trampoline);
    Py_RETURN_NONE;
}

/* ---- Connection ---------------------------------------------------------------- */

static int
need_dtls(ConnectionObject *self)
{
    if (!SSL_is_dtls(self->ssl)) {
        ssl_state *st = STATE(self);
        if (st != NULL) {
            PyErr_SetString(st->Error,
                            "the Connection is not DTLS (make its Context "
                            "with DTLS_METHOD)");
        }
        return -1;
    }
    return 0;
}

PyDoc_STRVAR(connection_DTLSv1_listen_doc,
"DTLSv1_listen($self, /)\n--\n\n"
"As a DTLS server, answer client hellos with a cookie until one comes\n"
"back with a cookie the verify callback accepts; then return, and\n"
"do_handshake() goes on.  Raises WantReadError while waiting.");

static PyObject *
connection_DTLSv1_listen(ConnectionObject *self, PyObject *Py_UNUSED(ignored))
{
    if (need_dtls(self) < 0) {
        return NULL;
    }
    BIO_ADDR *peer = BIO_ADDR_new();
    if (peer == NULL) {
        return PyErr_NoMemory();
    }
    ssl_io_result io;
    int rc = ssl_run_io(self, IO_DTLS_LISTEN, peer, 0, &io);
    BIO_ADDR_free(peer);
    if (rc < 0) {
        return NULL;
    }
    if (ssl_raise_stashed(self)) {
        ERR_clear_error();
        return NULL;
    }
    if (io.ret == 0) {
        /* No hello with a good cookie yet (one without was answered). */
        ERR_clear_error();
        PyErr_SetNone(STATE(self)->WantReadError);
        return NULL;
    }
    if (io.ret < 0) {
        return ssl_raise_io_error(self, &io);
    }
    Py_RETURN_NONE;
}

PyDoc_STRVAR(connection_DTLSv1_get_timeout_doc,
"DTLSv1_get_timeout($self, /)\n--\n\n"
"Seconds (a float) until DTLSv1_handle_timeout() should be called to\n"
"retransmit, or None when no timer runs.");

static PyObject *
connection_DTLSv1_get_timeout(ConnectionObject *self,
                              PyObject *Py_UNUSED(ignored))
{
    struct timeval tv;
    if (!DTLSv1_get_timeout(self->ssl, &tv)) {
        Py_RETURN_NONE;
    }
    return PyFloat_FromDouble((double)tv.tv_sec + tv.tv_usec / 1e6);
}

PyDoc_STRVAR(connection_DTLSv1_handle_timeout_doc,
"DTLSv1_handle_timeout($self, /)\n--\n\n"
"Retransmit if the timer has run out; return whether it had.");

static PyObject *
connection_DTLSv1_handle_timeout(ConnectionObject *self,
                                 PyObject *Py_UNUSED(ignored))
{
    ssl_io_result io;
    if (ssl_run_io(self, IO_DTLS_TIMEOUT, NULL, 0, &io) < 0) {
        return NULL;
    }
    if (ssl_io_check(self, &io, io.ret < 0) < 0) {
        return NULL;
    }
    return PyBool_FromLong(io.ret > 0);
}

PyDoc_STRVAR(connection_set_ciphertext_mtu_doc,
"set_ciphertext_mtu($self, mtu, /)\n--\n\n"
"For DTLS: the largest datagram to send (the UDP payload, without IP and\n"
"UDP headers).");

static PyObject *
connection_set_ciphertext_mtu(ConnectionObject *self, PyObject *arg)
{
    int mtu;
    if (ossl_int_arg(arg, "mtu", &mtu) < 0) {
        return NULL;
    }
    if (mtu <= 0) {
        PyErr_Format(PyExc_ValueError, "mtu must be positive, not %d", mtu);
        return NULL;
    }
    if (need_dtls(self) < 0) {
        return NULL;
    }
    /* Our own MTU: do not ask the transport for one. */
    SSL_set_options(self->ssl, SSL_OP_NO_QUERY_MTU);
    if (!SSL_set_mtu(self->ssl, mtu)) {
        ssl_state *st = STATE(self);
        ossl_raise_msg(st->Error, "mtu %d is below what DTLS needs", mtu);
        return NULL;
    }
    Py_RETURN_NONE;
}

PyDoc_STRVAR(connection_get_cleartext_mtu_doc,
"get_cleartext_mtu($self, /)\n--\n\n"
"For DTLS: the most application data one send() fits in one datagram\n"
"(set_ciphertext_mtu minus the record overhead of the cipher in use).");

static PyObject *
connection_get_cleartext_mtu(ConnectionObject *self,
                             PyObject *Py_UNUSED(ignored))
{
    if (need_dtls(self) < 0) {
        return NULL;
    }
    size_t mtu = DTLS_get_data_mtu(self->ssl);
    if (mtu == 0) {
        ssl_state *st = STATE(self);
        ossl_raise_msg(st->Error, "no data MTU yet (no cipher negotiated)");
        return NULL;
    }
    return PyLong_FromSize_t(mtu);
}


PyMethodDef ssl_dtls_context_methods[] = {
    SSL_CONTEXT_METHOD(set_cookie_generate_callback, METH_O),
    SSL_CONTEXT_METHOD(set_cookie_verify_callback, METH_O),
    {NULL, NULL, 0, NULL},
};

PyMethodDef ssl_dtls_connection_methods[] = {
    SSL_CONNECTION_METHOD(DTLSv1_listen, METH_NOARGS),
    SSL_CONNECTION_METHOD(DTLSv1_get_timeout, METH_NOARGS),
    SSL_CONNECTION_METHOD(DTLSv1_handle_timeout, METH_NOARGS),
    SSL_CONNECTION_METHOD(set_ciphertext_mtu, METH_O),
    SSL_CONNECTION_METHOD(get_cleartext_mtu, METH_NOARGS),
    {NULL, NULL, 0, NULL},
};

int
ssl_init_dtls(PyObject *module)
{
    return ossl_add_int(module, "DTLS1_COOKIE_LENGTH", DTLS1_COOKIE_LENGTH);
}
