/*
 * A third-party extension built against OpenSSL.get_include(): it takes
 * two Connections' SSL * and memory BIOs from OpenSSL.SSL._C_API and runs
 * the whole handshake itself, record by record, with no Python call in
 * between; and it wraps/unwraps certificates and keys through
 * OpenSSL.crypto's C API.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>

#include "OpenSSL_capi.h"

#include <openssl/err.h>

static const OSSL_SSLCAPI *ssl_api;

/* Move everything waiting in `from` into `to`; the bytes moved. */
static long
move(BIO *from, BIO *to)
{
    char buf[16384];
    long moved = 0;
    int n;
    while ((n = BIO_read(from, buf, (int)sizeof(buf))) > 0) {
        if (BIO_write(to, buf, n) != n) {
            return -1;
        }
        moved += n;
    }
    return moved;
}

static int
step(SSL *ssl, const char *who)
{
    int rc = SSL_do_handshake(ssl);
    if (rc == 1) {
        return 0;
    }
    int err = SSL_get_error(ssl, rc);
    if (err == SSL_ERROR_WANT_READ || err == SSL_ERROR_WANT_WRITE) {
        return 0;
    }
    unsigned long code = ERR_get_error();
    char reason[256] = "";
    ERR_error_string_n(code, reason, sizeof(reason));
    ERR_clear_error();
    PyErr_Format(ssl_api->Error, "%s handshake failed (SSL error %d): %s",
                 who, err, reason);
    return -1;
}

static PyObject *
pump_handshake(PyObject *module, PyObject *args)
{
    PyObject *client, *server;
    int max_rounds = 100;
    (void)module;
    if (!PyArg_ParseTuple(args, "OO|i:pump_handshake", &client, &server,
                          &max_rounds)) {
        return NULL;
    }
    SSL *c = ssl_api->connection_ptr(client);
    SSL *s = c != NULL ? ssl_api->connection_ptr(server) : NULL;
    if (s == NULL) {
        return NULL;
    }
    BIO *c_in, *c_out, *s_in, *s_out;
    if (ssl_api->connection_memory_bios(client, &c_in, &c_out) < 0
        || ssl_api->connection_memory_bios(server, &s_in, &s_out) < 0) {
        return NULL;
    }
    for (int round = 1; round <= max_rounds; round++) {
        if (step(c, "client") < 0 || step(s, "server") < 0) {
            return NULL;
        }
        long a = move(c_out, s_in), b = move(s_out, c_in);
        if (a < 0 || b < 0) {
            return PyErr_NoMemory();
        }
        if (SSL_is_init_finished(c) && SSL_is_init_finished(s) && a + b == 0) {
            return PyLong_FromLong(round);
        }
    }
    PyErr_SetString(PyExc_RuntimeError, "handshake did not finish");
    return NULL;
}

static PyObject *
peer_certificate(PyObject *module, PyObject *conn)
{
    (void)module;
    SSL *ssl = ssl_api->connection_ptr(conn);
    if (ssl == NULL) {
        return NULL;
    }
    X509 *cert = SSL_get1_peer_certificate(ssl);
    if (cert == NULL) {
        Py_RETURN_NONE;
    }
    PyObject *result = ssl_api->crypto->x509_from_ptr(ssl_api->crypto, cert);
    X509_free(cert);
    return result;
}

static PyObject *
certificate_der(PyObject *module, PyObject *obj)
{
    (void)module;
    X509 *cert = ssl_api->crypto->x509_as_ptr(ssl_api->crypto, obj);
    if (cert == NULL) {
        return NULL;
    }
    unsigned char *der = NULL;
    int len = i2d_X509(cert, &der);
    X509_free(cert);
    if (len < 0) {
        PyErr_SetString(ssl_api->Error, "i2d_X509 failed");
        return NULL;
    }
    PyObject *result = PyBytes_FromStringAndSize((const char *)der, len);
    OPENSSL_free(der);
    return result;
}

static PyObject *
key_bits(PyObject *module, PyObject *obj)
{
    (void)module;
    EVP_PKEY *pkey = ssl_api->crypto->pkey_as_ptr(ssl_api->crypto, obj);
    if (pkey == NULL) {
        return NULL;
    }
    int bits = EVP_PKEY_get_bits(pkey);
    EVP_PKEY_free(pkey);
    return PyLong_FromLong(bits);
}

static PyObject *
context_private_key(PyObject *module, PyObject *ctx_obj)
{
    (void)module;
    SSL_CTX *ctx = ssl_api->context_ptr(ctx_obj);
    if (ctx == NULL) {
        return NULL;
    }
    EVP_PKEY *pkey = SSL_CTX_get0_privatekey(ctx);
    if (pkey == NULL) {
        Py_RETURN_NONE;
    }
    return ssl_api->crypto->pkey_from_ptr(ssl_api->crypto, pkey, 0);
}

static PyObject *
api_version(PyObject *module, PyObject *ignored)
{
    (void)module;
    (void)ignored;
    return Py_BuildValue("(II)", ssl_api->version, ssl_api->size);
}

static PyMethodDef pump_methods[] = {
    {"pump_handshake", pump_handshake, METH_VARARGS, NULL},
    {"peer_certificate", peer_certificate, METH_O, NULL},
    {"certificate_der", certificate_der, METH_O, NULL},
    {"key_bits", key_bits, METH_O, NULL},
    {"context_private_key", context_private_key, METH_O, NULL},
    {"api_version", api_version, METH_NOARGS, NULL},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef pump_module = {
    PyModuleDef_HEAD_INIT, "_capi_pump", NULL, -1, pump_methods,
};

PyMODINIT_FUNC
PyInit__capi_pump(void)
{
    ssl_api = PyCapsule_Import(OSSL_SSL_CAPI_NAME, 0);
    if (ssl_api == NULL) {
        return NULL;
    }
    if (ssl_api->version < 1 || ssl_api->crypto == NULL) {
        PyErr_SetString(PyExc_ImportError, "OpenSSL.SSL C API too old");
        return NULL;
    }
    return PyModule_Create(&pump_module);
}
