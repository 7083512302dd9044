/*
 * cluster/curl_loader.c - dlopen()s libcurl on first use and resolves the
 * functions of struct curl_api (see curl_loader.h for why).
 *
 * pthread_once runs the load exactly once per process: dlopen with
 * RTLD_NOW | RTLD_LOCAL (every symbol resolved up front, none leaked into
 * the global namespace), one dlsym per function, then curl_global_init.
 * The outcome, the table or the error line, is kept for every later call.
 */
#include "cluster/curl_loader.h"

#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>

static pthread_once_t load_once = PTHREAD_ONCE_INIT;
static struct curl_api api;
static const struct curl_api *loaded; /* &api once everything resolved */
static char load_error[512];          /* why not, when loaded is NULL */

/* Records the failure line "cannot load libcurl-gnutls.so.4: <why>". */
static void remember_failure(const char *why)
{
    snprintf(load_error, sizeof(load_error), "cannot load %s: %s", CURL_LOADER_SONAME,
             why && *why ? why : "unknown error");
}

/* dlsym into *slot; 0 on success, -1 with the failure remembered. */
static int resolve(void *lib, const char *name, void **slot)
{
    dlerror(); /* clear a stale error */
    void *sym = dlsym(lib, name);
    if (!sym) {
        const char *why = dlerror();
        char line[256];
        if (!why)
            snprintf(line, sizeof(line), "%s is NULL", name);
        remember_failure(why ? why : line);
        return -1;
    }
    *slot = sym;
    return 0;
}

/*
 * Every function of struct curl_api, by name.  Each slot is written through
 * a void ** to its member, POSIX's way of storing dlsym's void * in a
 * function pointer.
 */
static int resolve_all(void *lib)
{
    const struct {
        const char *name;
        void **slot;
    } wanted[] = {
        {"curl_global_init", (void **)&api.global_init},
        {"curl_easy_init", (void **)&api.easy_init},
        {"curl_easy_cleanup", (void **)&api.easy_cleanup},
        {"curl_easy_reset", (void **)&api.easy_reset},
        {"curl_easy_setopt", (void **)&api.easy_setopt},
        {"curl_easy_perform", (void **)&api.easy_perform},
        {"curl_easy_getinfo", (void **)&api.easy_getinfo},
        {"curl_easy_strerror", (void **)&api.easy_strerror},
        {"curl_slist_append", (void **)&api.slist_append},
        {"curl_slist_free_all", (void **)&api.slist_free_all},
    };
    for (size_t i = 0; i < sizeof(wanted) / sizeof(wanted[0]); i++)
        if (resolve(lib, wanted[i].name, wanted[i].slot) != 0)
            return -1;
    return 0;
}

static void load_libcurl(void)
{
    void *lib = dlopen(CURL_LOADER_SONAME, RTLD_NOW | RTLD_LOCAL);
    if (!lib) {
        remember_failure(dlerror());
        return;
    }
    if (resolve_all(lib) != 0) {
        dlclose(lib);
        return;
    }
    CURLcode rc = api.global_init(CURL_GLOBAL_DEFAULT);
    if (rc != CURLE_OK) {
        char line[256];
        snprintf(line, sizeof(line), "curl_global_init: %s", api.easy_strerror(rc));
        remember_failure(line);
        return; /* libcurl may have started initialising: leave it mapped */
    }
    loaded = &api;
}

const struct curl_api *curl_api_load(char *err, size_t errlen)
{
    pthread_once(&load_once, load_libcurl);
    if (!loaded && err && errlen)
        snprintf(err, errlen, "%s", load_error);
    return loaded;
}
