/*
 * cluster/static_load.c - reads a cluster directory (--cluster-dir) into one
 * cJSON array of Kubernetes objects.
 *
 * The directory is walked depth first, entries in byte order of their names
 * (so every run sees the same objects in the same order), skipping names that
 * start with a dot (editor swap files, .git).  Every *.yaml, *.yml and *.json
 * file is parsed by kube/yaml.c; each of its documents is one object, or a
 * List (kind "List", "NodeList", ...) whose items are objects.  Objects of
 * kinds the cluster view does not know are kept: the view ignores them.
 *
 * The first problem stops the load, with one error line naming the file.
 */
#include "cluster/limits.h"
#include "cluster/static.h"
#include "kube/text.h"
#include "kube/yaml.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* ------------------------------------------------------------------------ */
/* Documents                                                                */
/* ------------------------------------------------------------------------ */

static const char *json_type_name(const cJSON *v)
{
    if (cJSON_IsNull(v))
        return "null";
    if (cJSON_IsBool(v))
        return "a boolean";
    if (cJSON_IsNumber(v))
        return "a number";
    if (cJSON_IsString(v))
        return "a string";
    if (cJSON_IsArray(v))
        return "a list";
    return "an object";
}

static int ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), m = strlen(suffix);
    return n >= m && strcmp(s + n - m, suffix) == 0;
}

/* A List document: kind "List" or "<Kind>List" with an items field (absent or null = empty). */
static int is_list_document(const cJSON *doc)
{
    const cJSON *kind = cJSON_GetObjectItemCaseSensitive(doc, "kind");
    if (!cJSON_IsString(kind) || !ends_with(kind->valuestring, "List"))
        return 0;
    return strcmp(kind->valuestring, "List") == 0 || cJSON_HasObjectItem(doc, "items");
}

/* Moves the items of List document number `docno` of `path` into `objects`. */
static int take_list_items(cJSON *doc, int docno, const char *path, cJSON *objects, char *err,
                           size_t errlen)
{
    cJSON *items = cJSON_GetObjectItemCaseSensitive(doc, "items");
    if (!items || cJSON_IsNull(items))
        return 0;
    if (!cJSON_IsArray(items)) {
        snprintf(err, errlen, "%s: document %d: items of a List is %s, not a list", path, docno,
                 json_type_name(items));
        return -1;
    }
    int itemno = 0;
    while (items->child) {
        cJSON *item = cJSON_DetachItemViaPointer(items, items->child);
        itemno++;
        if (!cJSON_IsObject(item)) {
            snprintf(err, errlen, "%s: document %d: item %d of the List is %s, not an object", path,
                     docno, itemno, json_type_name(item));
            cJSON_Delete(item);
            return -1;
        }
        cJSON_AddItemToArray(objects, item);
    }
    return 0;
}

/* Parses one file and moves its objects into `objects`. */
static int load_file(const char *path, cJSON *objects, char *err, size_t errlen)
{
    cJSON *docs = yaml_parse_file(path, err, errlen);
    if (!docs)
        return -1;
    int docno = 0, rc = 0;
    while (rc == 0 && docs->child) {
        cJSON *doc = cJSON_DetachItemViaPointer(docs, docs->child);
        docno++;
        if (!cJSON_IsObject(doc)) {
            snprintf(err, errlen, "%s: document %d is %s, not an object", path, docno,
                     json_type_name(doc));
            rc = -1;
        } else if (is_list_document(doc)) {
            rc = take_list_items(doc, docno, path, objects, err, errlen);
        } else {
            cJSON_AddItemToArray(objects, doc);
            doc = NULL;
        }
        cJSON_Delete(doc);
    }
    cJSON_Delete(docs);
    return rc;
}

/* ------------------------------------------------------------------------ */
/* Directories                                                              */
/* ------------------------------------------------------------------------ */

static int is_cluster_file_name(const char *name)
{
    return ends_with(name, ".yaml") || ends_with(name, ".yml") || ends_with(name, ".json");
}

static void free_names(char **names, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(names[i]);
    free(names);
}

/* The entries of `dir` except dot files, sorted by name.  Caller frees with free_names. */
static int read_sorted_names(const char *dir, char ***out, size_t *out_n, char *err, size_t errlen)
{
    DIR *d = opendir(dir);
    if (!d) {
        snprintf(err, errlen, "%s: %s", dir, strerror(errno));
        return -1;
    }
    char **names = NULL;
    size_t n = 0, cap = 0;
    struct dirent *de;
    errno = 0;
    while ((de = readdir(d)) != NULL) {
        if (de->d_name[0] == '.')
            continue;
        if (n == cap) {
            cap = cap ? cap * 2 : 32;
            char **grown = realloc(names, cap * sizeof(*names));
            if (!grown)
                goto oom;
            names = grown;
        }
        if (!(names[n] = strdup(de->d_name)))
            goto oom;
        n++;
    }
    closedir(d);
    if (n > 1)
        qsort(names, n, sizeof(*names), text_compare_ptrs);
    *out = names;
    *out_n = n;
    return 0;
oom:
    snprintf(err, errlen, "%s: out of memory", dir);
    free_names(names, n);
    closedir(d);
    return -1;
}

static int load_tree(const char *dir, int depth, cJSON *objects, char *err, size_t errlen);

/* Loads one directory entry: a sub-directory, a cluster file, or nothing. */
static int load_entry(const char *dir, const char *name, int depth, cJSON *objects, char *err,
                      size_t errlen)
{
    const char *sep = ends_with(dir, "/") ? "" : "/";
    size_t len = strlen(dir) + strlen(sep) + strlen(name) + 1;
    char *path = malloc(len);
    if (!path) {
        snprintf(err, errlen, "%s: out of memory", dir);
        return -1;
    }
    snprintf(path, len, "%s%s%s", dir, sep, name);
    struct stat st;
    int rc = 0;
    if (stat(path, &st) != 0) {
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        rc = -1;
    } else if (S_ISDIR(st.st_mode)) {
        rc = load_tree(path, depth + 1, objects, err, errlen);
    } else if (S_ISREG(st.st_mode) && is_cluster_file_name(name)) {
        rc = load_file(path, objects, err, errlen);
    }
    free(path);
    return rc;
}

static int load_tree(const char *dir, int depth, cJSON *objects, char *err, size_t errlen)
{
    if (depth > MW_MAX_CLUSTER_DIR_DEPTH) {
        snprintf(err, errlen, "%s: directories nested deeper than %d levels", dir,
                 MW_MAX_CLUSTER_DIR_DEPTH);
        return -1;
    }
    char **names;
    size_t n;
    if (read_sorted_names(dir, &names, &n, err, errlen) != 0)
        return -1;
    int rc = 0;
    for (size_t i = 0; i < n && rc == 0; i++)
        rc = load_entry(dir, names[i], depth, objects, err, errlen);
    free_names(names, n);
    return rc;
}

cJSON *static_load_dir(const char *dir, char *err, size_t errlen)
{
    char scratch[1];
    if (!err || errlen == 0) {
        err = scratch;
        errlen = sizeof(scratch);
    }
    err[0] = '\0';
    struct stat st;
    if (!dir || stat(dir, &st) != 0) {
        snprintf(err, errlen, "%s: no such directory", dir ? dir : "(null)");
        return NULL;
    }
    if (!S_ISDIR(st.st_mode)) {
        snprintf(err, errlen, "%s: not a directory", dir);
        return NULL;
    }
    cJSON *objects = cJSON_CreateArray();
    if (!objects) {
        snprintf(err, errlen, "%s: out of memory", dir);
        return NULL;
    }
    if (load_tree(dir, 0, objects, err, errlen) != 0) {
        cJSON_Delete(objects);
        return NULL;
    }
    return objects;
}
