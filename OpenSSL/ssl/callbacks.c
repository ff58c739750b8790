/*
 * The C functions OpenSSL calls back into, and the ex_data slots that lead
 * them from an SSL / SSL_CTX to its Python object.
 *
 * Every trampoline takes the GIL with ossl_callback_enter (the I/O call that
 * triggered it released it through OSSL_ALLOW_THREADS_BEGIN), and stores an
 * exception the Python callback raised on the Connection (or the Context
 * when there is no Connection), where the triggering call finds and raises
 * it once OpenSSL returns.
 */
#include "ssl.h"

#include <stdarg.h>
#include <string.h>

int ssl_connection_index = -1;
int ssl_context_index = -1;
int ssl_session_chain_index = -1;

/* A session's remembered verified chain is copied with the session (TLS 1.3
   tickets are copies of the handshake's session) and freed with it. */
static int
session_chain_dup(CRYPTO_EX_DATA *to, const CRYPTO_EX_DATA *from,
                  void **from_d, int idx, long argl, void *argp)
{
    (void)to; (void)from; (void)idx; (void)argl; (void)argp;
    STACK_OF(X509) *chain = *from_d;
    if (chain != NULL) {
        *from_d = X509_chain_up_ref(chain);
        if (*from_d == NULL) {
            return 0;
        }
    }
    return 1;
}

static void
session_chain_free(void *parent, void *ptr, CRYPTO_EX_DATA *ad, int idx,
                   long argl, void *argp)
{
    (void)parent; (void)ad; (void)idx; (void)argl; (void)argp;
    sk_X509_pop_free(ptr, X509_free);
}

int
ssl_callbacks_init(void)
{
    /* The indices are process-wide; a second import of the module (a
       sub-interpreter) reuses them. */
    if (ssl_connection_index < 0) {
        ssl_connection_index = SSL_get_ex_new_index(0, NULL, NULL, NULL, NULL);
    }
    if (ssl_context_index < 0) {
        ssl_context_index = SSL_CTX_get_ex_new_index(0, NULL, NULL, NULL, NULL);
    }
    if (ssl_session_chain_index < 0) {
        ssl_session_chain_index = SSL_SESSION_get_ex_new_index(
            0, NULL, NULL, session_chain_dup, session_chain_free);
    }
    return ssl_connection_index < 0 || ssl_context_index < 0
        || ssl_session_chain_index < 0 ? -1 : 0;
}

ConnectionObject *
ssl_connection_of(const SSL *ssl)
{
    if (ssl == NULL) {
        return NULL;
    }
    return SSL_get_ex_data(ssl, ssl_connection_index);
}

PyObject *
ssl_callback_call(ConnectionObject *conn, int slot, const char *format, ...)
{
    if (conn->callback_error != NULL) {
        return NULL;
    }
    PyObject *callback = ssl_connection_callback(conn, slot);
    if (callback == NULL) {
        return NULL;
    }
    Py_INCREF(callback);  /* the callback may replace itself */
    va_list va;
    va_start(va, format);
    PyObject *args = Py_VaBuildValue(format, va);
    va_end(va);
    PyObject *r = args != NULL ? PyObject_Call(callback, args, NULL) : NULL;
    Py_XDECREF(args);
    Py_DECREF(callback);
    if (r == NULL) {
        ossl_stash_exception(&conn->callback_error);
    }
    return r;
}

/* ---- verify ------------------------------------------------------------ */

int
ssl_verify_trampoline(int preverify_ok, X509_STORE_CTX *store)
{
    SSL *ssl = X509_STORE_CTX_get_ex_data(store,
                                          SSL_get_ex_data_X509_STORE_CTX_idx());
    ConnectionObject *conn = ssl_connection_of(ssl);
    if (conn == NULL) {
        return preverify_ok;
    }
    int result = 0;
    ossl_callback_state cs;
    ossl_callback_enter(&cs);

    PyObject *callback = ssl_connection_callback(conn, SSL_SLOT_VERIFY);
    if (callback == NULL) {
        result = preverify_ok;
    }
    else if (conn->callback_error != NULL) {
        /* An earlier call of this handshake raised: keep failing. */
        result = 0;
    }
    else {
        ssl_state *st = ssl_state_of((PyObject *)conn);
        X509 *cert = X509_STORE_CTX_get_current_cert(store);
        int errnum = X509_STORE_CTX_get_error(store);
        int depth = X509_STORE_CTX_get_error_depth(store);
        PyObject *pycert = st != NULL && cert != NULL
            ? ssl_x509_out(st, cert, 0)
            : (st != NULL ? Py_NewRef(Py_None) : NULL);
        PyObject *ret = NULL;
        if (pycert != NULL) {
            Py_INCREF(callback);  /* the callback may replace itself */
            ret = PyObject_CallFunction(callback, "OOiii", (PyObject *)conn,
                                        pycert, errnum, depth, preverify_ok);
            Py_DECREF(callback);
            Py_DECREF(pycert);
        }
        int truth = ret != NULL ? PyObject_IsTrue(ret) : -1;
        Py_XDECREF(ret);
        if (truth > 0) {
            /* The application vouches for the certificate. */
            X509_STORE_CTX_set_error(store, X509_V_OK);
            result = 1;
        }
        else {
            if (truth < 0) {
                ossl_stash_exception(&conn->callback_error);
            }
            if (X509_STORE_CTX_get_error(store) == X509_V_OK) {
                X509_STORE_CTX_set_error(store,
                                         X509_V_ERR_APPLICATION_VERIFICATION);
            }
            result = 0;
        }
    }
    ossl_callback_leave(&cs);
    return result;
}

/* ---- chain capture ----------------------------------------------------- */

/*
 * A resumed session skips certificate verification, so OpenSSL has no
 * verified chain for it.  A client remembers the chain of its full
 * handshake on the session, where get_verified_chain() finds it when the
 * session is resumed.  Only clients: their sessions are not in a shared
 * cache yet at this point, so nobody else reads the session meanwhile.
 */
static void
remember_verified_chain(const SSL *ssl)
{
    if (SSL_is_server(ssl) || SSL_session_reused(ssl)) {
        return;
    }
    SSL_SESSION *session = SSL_get_session(ssl);
    STACK_OF(X509) *chain = SSL_get0_verified_chain(ssl);
    if (session == NULL || chain == NULL
        || SSL_SESSION_get_ex_data(session, ssl_session_chain_index) != NULL) {
        return;
    }
    STACK_OF(X509) *copy = X509_chain_up_ref(chain);
    if (copy != NULL
        && !SSL_SESSION_set_ex_data(session, ssl_session_chain_index, copy)) {
        sk_X509_pop_free(copy, X509_free);
    }
    ERR_clear_error();
}

STACK_OF(X509) *
ssl_session_verified_chain(const SSL *ssl)
{
    SSL_SESSION *session = SSL_get_session(ssl);
    if (session == NULL || !SSL_session_reused(ssl)) {
        return NULL;
    }
    return SSL_SESSION_get_ex_data(session, ssl_session_chain_index);
}

/* ---- info -------------------------------------------------------------- */

/*
 * Installed on every Connection (for the chain capture above); it takes
 * the GIL only when there is a Python info callback.  The slots change
 * only under the GIL: a read of one here that races with set_info_callback
 * at worst skips or delivers that one event.
 */
void
ssl_info_trampoline(const SSL *ssl, int where, int ret)
{
    ConnectionObject *conn = ssl_connection_of(ssl);
    if (conn == NULL) {
        return;
    }
    if (where & SSL_CB_HANDSHAKE_DONE) {
        remember_verified_chain(ssl);
    }
    if (conn->cb.slot[SSL_SLOT_INFO] == NULL
        && (conn->context == NULL
            || conn->context->cb.slot[SSL_SLOT_INFO] == NULL)) {
        return;
    }
    ossl_callback_state cs;
    ossl_callback_enter(&cs);
    /* The info callback cannot fail the operation; its exception is raised
       when the call that triggered it returns. */
    Py_XDECREF(ssl_callback_call(conn, SSL_SLOT_INFO, "(Oii)", conn, where,
                                 ret));
    ossl_callback_leave(&cs);
}

/* ---- passphrase -------------------------------------------------------- */

int
ssl_passwd_trampoline(char *buf, int size, int rwflag, void *userdata)
{
    ContextObject *ctx = userdata;
    if (ctx == NULL) {
        return 0;
    }
    int result = 0;
    ossl_callback_state cs;
    ossl_callback_enter(&cs);
    PyObject *callback = ctx->cb.slot[SSL_SLOT_PASSWD];
    if (callback != NULL && ctx->callback_error == NULL) {
        PyObject *data = ctx->cb.slot[SSL_SLOT_PASSWD_DATA];
        Py_INCREF(callback);
        PyObject *r = PyObject_CallFunction(callback, "iiO", size, rwflag,
                                            data != NULL ? data : Py_None);
        Py_DECREF(callback);
        if (r != NULL && !PyBytes_Check(r)) {
            PyErr_Format(PyExc_ValueError,
                         "the passphrase callback must return bytes, not %.100s",
                         Py_TYPE(r)->tp_name);
            Py_CLEAR(r);
        }
        if (r == NULL) {
            ossl_stash_exception(&ctx->callback_error);
        }
        else {
            /* Like pyOpenSSL's Context: an over-long passphrase is cut to
               what OpenSSL's buffer takes. */
            Py_ssize_t len = PyBytes_GET_SIZE(r);
            if (len > size) {
                len = size;
            }
            memcpy(buf, PyBytes_AS_STRING(r), (size_t)len);
            result = (int)len;
            Py_DECREF(r);
        }
    }
    ossl_callback_leave(&cs);
    return result;
}
