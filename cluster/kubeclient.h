/*
 * cluster/kubeclient.h - a small Kubernetes API client over libcurl: GET a
 * path and get JSON back, send a JSON body (POST, PUT, PATCH), or stream a
 * watch.
 *
 * TLS is verified against the configured CA (data or file) unless the
 * configuration says insecure; the bearer token is re-read from its file when
 * the file changes and after a 401; client certificates are supported.
 * Finished connections are kept in a small pool of curl handles, so
 * concurrent callers reuse TLS connections.  Safe to use from many threads.
 *
 * Errors are one line: "<METHOD> <path>: <code> <reason>: <message>" from
 * the API server's Status body, or "<METHOD> <path>: <transport problem>".
 */
#ifndef MW_CLUSTER_KUBECLIENT_H
#define MW_CLUSTER_KUBECLIENT_H

#include <stddef.h>
#include <cjson/cJSON.h>

#include "cluster/kubeconfig.h"
#include "cluster/view.h"

enum kube_result { KUBE_OK = 0, KUBE_NOT_FOUND = 1, KUBE_ERROR = -1 };

/* HTTP codes counted by kube_client_calls: index = code, 0 = no HTTP answer. */
#define KUBE_CODE_SLOTS 600

struct kube_client;

/* Where a kind lives in the API. */
struct kube_resource {
    const char *prefix; /* "/api/v1" or "/apis/<group>/<version>" */
    const char *plural;
    const char *api_version; /* set on list items, which come without it */
};

/* The resource of `kind` (a valid enum cv_kind). */
const struct kube_resource *kube_resource_of(enum cv_kind kind);

/* A client for `cfg` (copied: cfg may be freed afterwards).  NULL with err on failure. */
struct kube_client *kube_client_new(const struct kube_config *cfg, char *err, size_t errlen);
void kube_client_free(struct kube_client *c);

/*
 * GET `path` (with its query) and parse the JSON answer.  `deadline_ms` is a
 * CLOCK_MONOTONIC time the whole exchange must finish by (0 = the default
 * timeout).  KUBE_OK: *out is the body (caller frees).  KUBE_NOT_FOUND: 404.
 * KUBE_ERROR: one line in err.  *code (may be NULL) gets the HTTP code or 0.
 */
enum kube_result kube_get_json(struct kube_client *c, const char *path, long long deadline_ms,
                               cJSON **out, long *code, char *err, size_t errlen);

/*
 * A request with a JSON body: `method` ("POST", "PUT", "PATCH", "DELETE"),
 * `body` serialised as sent (NULL = no body) with `content_type` (NULL =
 * application/json; a JSON Patch is "application/json-patch+json").  Results
 * as for kube_get_json: KUBE_OK with *out the 2xx answer (caller frees),
 * KUBE_NOT_FOUND on 404, KUBE_ERROR with one line in err ("<METHOD> <path>:
 * <code> <reason>: <message>"); *code (may be NULL) gets the HTTP code (409
 * Conflict / AlreadyExists, 422 Invalid, ...) or 0.
 */
enum kube_result kube_request_json(struct kube_client *c, const char *method, const char *path,
                                   const char *content_type, const cJSON *body,
                                   long long deadline_ms, cJSON **out, long *code, char *err,
                                   size_t errlen);

/* Receives the body of a successful stream; return non-zero to end the stream. */
typedef int (*kube_data_fn)(void *ctx, const char *data, size_t len);
/* Polled while a stream is open; return non-zero to end it. */
typedef int (*kube_stop_fn)(void *ctx);

/*
 * Streaming GET (a watch): the body of a 2xx answer is handed to `data` as it
 * arrives, until the server ends it, `data` or `stop` asks to end, or
 * `timeout_ms` passes.  Returns KUBE_OK when the stream ended normally or was
 * ended by the callbacks, KUBE_ERROR (with err, *code) otherwise.
 */
enum kube_result kube_stream(struct kube_client *c, const char *path, long timeout_ms,
                             kube_data_fn data, kube_stop_fn stop, void *ctx, long *code, char *err,
                             size_t errlen);

/*
 * Times the kubeconfig user's exec credential plugin has run: once for the
 * first request, again when its token reached its expirationTimestamp or was
 * refused with 401.
 */
unsigned long kube_client_exec_runs(struct kube_client *c);

/*
 * Every object of a collection, read page by page: GET `path` (a list path,
 * e.g. "/api/v1/pods" or ".../namespaces/NS/pods") with `limit` items a page
 * and the server's `continue` token until the last page.  Each item gets
 * `kind` (the list's kind without "List") and `apiVersion`, which list items
 * lack.  `page` (may be NULL) is called after each page with the number of
 * items read so far.  Returns KUBE_OK with *items (a cJSON array, caller
 * frees), KUBE_NOT_FOUND when the collection does not exist (its CRD is not
 * installed), or KUBE_ERROR with one line in err.
 */
enum kube_result kube_list_all(struct kube_client *c, const char *path, int limit,
                               long long deadline_ms, void (*page)(void *ctx, size_t n), void *ctx,
                               cJSON **items, char *err, size_t errlen);

/* Copies the count of API calls by HTTP code (KUBE_CODE_SLOTS entries) into counts. */
void kube_client_calls(const struct kube_client *c, unsigned long *counts);

#endif
