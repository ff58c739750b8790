/*
 * Thread state handling shared by the three modules.
 *
 * Every OpenSSL call that can block or burn CPU runs between
 * OSSL_ALLOW_THREADS_BEGIN and OSSL_ALLOW_THREADS_END.  The saved thread
 * state lives in one thread-local slot, so that a callback from OpenSSL
 * (verify, passphrase, info, BIO read/write, ...) running on this thread can
 * find it, take the GIL back with ossl_callback_enter() and give it up again
 * with ossl_callback_leave().
 *
 * Invariant: the slot is non-NULL exactly while this thread has released the
 * GIL through OSSL_ALLOW_THREADS_BEGIN.  A callback clears it while it holds
 * the GIL, so code it runs may release and re-take the GIL again (nesting).
 */
#ifndef OSSL_GIL_H
#define OSSL_GIL_H

#include <Python.h>

extern _Thread_local PyThreadState *ossl_saved_tstate
    __attribute__((visibility("hidden")));

#define OSSL_ALLOW_THREADS_BEGIN                                               \
    do {                                                                       \
        ossl_saved_tstate = PyEval_SaveThread();

#define OSSL_ALLOW_THREADS_END                                                 \
        PyThreadState *ossl_ts_ = ossl_saved_tstate;                           \
        ossl_saved_tstate = NULL;                                              \
        PyEval_RestoreThread(ossl_ts_);                                        \
    } while (0)

typedef struct {
    PyThreadState *tstate;    /* taken from the slot, or NULL */
    PyGILState_STATE gilstate; /* used when the slot was empty on a foreign thread */
    int how;                  /* 0: GIL was held, 1: slot, 2: PyGILState */
} ossl_callback_state;

/* Take the GIL for a callback, whichever way this thread gave it up. */
static inline void
ossl_callback_enter(ossl_callback_state *cs)
{
    cs->tstate = ossl_saved_tstate;
    cs->gilstate = PyGILState_UNLOCKED;
    if (cs->tstate != NULL) {
        ossl_saved_tstate = NULL;
        PyEval_RestoreThread(cs->tstate);
        cs->how = 1;
    }
    else if (!PyGILState_Check()) {
        /* A thread OpenSSL runs on that never released the GIL through us. */
        cs->gilstate = PyGILState_Ensure();
        cs->how = 2;
    }
    else {
        cs->how = 0;
    }
}

/* Give the GIL back as it was before ossl_callback_enter(). */
static inline void
ossl_callback_leave(ossl_callback_state *cs)
{
    if (cs->how == 1) {
        ossl_saved_tstate = PyEval_SaveThread();
    }
    else if (cs->how == 2) {
        PyGILState_Release(cs->gilstate);
    }
}

#endif
