/*
 * Unit tests for cluster/static_load.c and the static cluster view: loading
 * the example cluster and the fixtures, Lists, multi-document files, lookups,
 * and the errors a user sees for a bad cluster directory.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include "test_main.h"
#include "case_table.h"
#include <dirent.h>
#include <ftw.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cluster/static.h"
#include "kube/yaml.h"

static char err[1024];

static const char *env_dir(const char *name)
{
    const char *v = getenv(name);
    if (!v || !*v)
        fail_msg("%s is not set (run the tests through ctest)", name);
    return v;
}

/* ------------------------------------------------------------------------ */
/* Scratch directories                                                      */
/* ------------------------------------------------------------------------ */

static void write_file(const char *dir, const char *rel, const char *text)
{
    char path[PATH_MAX];
    snprintf(path, sizeof(path), "%s/%s", dir, rel);
    char *slash = strrchr(path, '/');
    *slash = '\0';
    mkdir(path, 0700); /* one level of sub-directory is enough here */
    *slash = '/';
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    assert_int_equal(fputs(text, f) >= 0, 1);
    fclose(f);
}

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st;
    (void)flag;
    (void)ftw;
    return remove(path);
}

/* The cases that write files get a fresh directory as their state, removed after them. */
static int make_scratch_dir(void **state)
{
    static char dir[PATH_MAX];
    snprintf(dir, sizeof(dir), "/tmp/mw-static-view-XXXXXX");
    if (!mkdtemp(dir))
        return -1;
    *state = dir;
    return 0;
}

static int remove_scratch_dir(void **state)
{
    return nftw(*state, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
}

static const char *meta_name(const cJSON *obj)
{
    const cJSON *meta = cJSON_GetObjectItemCaseSensitive(obj, "metadata");
    return cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(meta, "name"));
}

static struct cluster_view *load_view(const char *dir)
{
    struct cluster_view *v = static_view_load(dir, err, sizeof(err));
    if (!v)
        fail_msg("cannot load %s: %s", dir, err);
    return v;
}

/* The objects of a cluster directory, which must load. */
static cJSON *load_objects(const char *dir)
{
    cJSON *objects = static_load_dir(dir, err, sizeof(err));
    if (!objects)
        fail_msg("%s", err);
    return objects;
}

/* The last error is `rest` about a file of `dir`: "<dir>/<rest>". */
static void assert_error_in(const char *dir, const char *rest)
{
    char want[PATH_MAX + 256];
    snprintf(want, sizeof(want), "%s/%s", dir, rest);
    assert_row_string_equal(rest, err, want);
}

/* How many objects of a kind a view holds. */
struct kind_count {
    enum cv_kind kind;
    int count;
};

static void assert_counts(const struct cluster_view *v, const struct kind_count *want, size_t n)
{
    for (size_t i = 0; i < n; i++)
        assert_row_int_equal(cv_kind_name(want[i].kind), static_view_count(v, want[i].kind),
                             want[i].count);
}

/* ------------------------------------------------------------------------ */
/* The example cluster                                                      */
/* ------------------------------------------------------------------------ */

/* The cases on the example cluster get its view as their state. */
static int load_example_cluster(void **state)
{
    char dir[PATH_MAX];
    snprintf(dir, sizeof(dir), "%s/examples/cluster", env_dir("MW_SOURCE_DIR"));
    *state = load_view(dir);
    return 0;
}

static int destroy_view(void **state)
{
    cv_destroy(*state);
    return 0;
}

static void example_cluster_counts(void **state)
{
    static const struct kind_count want[] = {
        {CV_NODE, 6},
        {CV_VM, 4},
        /* 11 in vmis.yaml, 5 in vmis-rev2.yaml, 3 in vms-drain.yaml (with their pods and disks) */
        {CV_VMI, 19},
        {CV_VMIM, 0},
        {CV_PVC, 16},
        {CV_POD, 14},
        {CV_KUBEVIRT, 1},
        {CV_NAD, 1},
        {CV_MIGRATION_POLICY, 1},
        {CV_NAMESPACE, 1},
    };
    assert_counts(*state, want, ROWS(want));
}

static void example_cluster_get_by_namespace_and_name(void **state)
{
    struct cluster_view *v = *state;
    struct cv_scope s;
    cv_scope_init(&s, 0);
    const cJSON *obj = NULL;

    assert_int_equal(cv_get(v, &s, CV_VMI, "default", "vm-migratable", &obj), CV_OK);
    assert_string_equal(meta_name(obj), "vm-migratable");
    const cJSON *status = cJSON_GetObjectItemCaseSensitive(obj, "status");
    assert_string_equal(cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(status, "nodeName")),
                        "node-a");
    assert_string_equal(cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(status, "phase")),
                        "Running");

    assert_int_equal(cv_get(v, &s, CV_VMI, "kube-system", "vm-migratable", &obj), CV_NOT_FOUND);
    assert_int_equal(cv_get(v, &s, CV_VMI, "default", "vm-stopped", &obj), CV_NOT_FOUND);
    assert_int_equal(cv_get(v, &s, CV_VM, "default", "vm-stopped", &obj), CV_OK);

    assert_int_equal(cv_get(v, &s, CV_NODE, NULL, "node-d", &obj), CV_OK);
    const cJSON *spec = cJSON_GetObjectItemCaseSensitive(obj, "spec");
    assert_true(cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(spec, "unschedulable")));

    /* Label values stay strings: "true", never a boolean. */
    assert_int_equal(cv_get(v, &s, CV_NODE, NULL, "node-a", &obj), CV_OK);
    const cJSON *labels = cJSON_GetObjectItemCaseSensitive(
        cJSON_GetObjectItemCaseSensitive(obj, "metadata"), "labels");
    const cJSON *schedulable = cJSON_GetObjectItemCaseSensitive(labels, "kubevirt.io/schedulable");
    assert_true(cJSON_IsString(schedulable));
    assert_string_equal(schedulable->valuestring, "true");
    assert_non_null(cJSON_GetObjectItemCaseSensitive(
        labels, "host-model-cpu.node.kubevirt.io/Cascadelake-Server-noTSX"));

    assert_int_equal(cv_get(v, &s, CV_KUBEVIRT, "harvester-system", "kubevirt", &obj), CV_OK);
    const cJSON *migrations = cJSON_GetObjectItemCaseSensitive(
        cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(obj, "spec"),
                                         "configuration"),
        "migrations");
    const cJSON *per_gib = cJSON_GetObjectItemCaseSensitive(migrations, "completionTimeoutPerGiB");
    assert_true(cJSON_IsNumber(per_gib));
    assert_int_equal(per_gib->valueint, 800);

    assert_int_equal(cv_get(v, &s, CV_PVC, "default", "vm-rwo-rootdisk", &obj), CV_OK);
    const cJSON *modes = cJSON_GetObjectItemCaseSensitive(
        cJSON_GetObjectItemCaseSensitive(obj, "spec"), "accessModes");
    assert_string_equal(cJSON_GetStringValue(cJSON_GetArrayItem(modes, 0)), "ReadWriteOnce");

    assert_int_equal(cv_get(v, &s, CV_NAD, "default", "vlan100", &obj), CV_OK);
    cv_scope_release(&s);
}

static void example_cluster_launcher_pod_by_created_by_label(void **state)
{
    struct cluster_view *v = *state;
    struct cv_scope s;
    cv_scope_init(&s, 0);
    const cJSON *vmi = NULL, *pods = NULL;
    int checked = 0;
    const char *names[] = {"vm-migratable", "vm-model", "vm-icelake"};
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        assert_int_equal(cv_get(v, &s, CV_VMI, "default", names[i], &vmi), CV_OK);
        const char *uid = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(
            cJSON_GetObjectItemCaseSensitive(vmi, "metadata"), "uid"));
        assert_non_null(uid);
        assert_int_equal(cv_list(v, &s, CV_POD, "default", "kubevirt.io/created-by", uid, &pods),
                         CV_OK);
        assert_int_equal(cJSON_GetArraySize(pods), 1);
        const cJSON *pod = cJSON_GetArrayItem(pods, 0);
        char prefix[128];
        snprintf(prefix, sizeof(prefix), "virt-launcher-%s-", names[i]);
        assert_memory_equal(meta_name(pod), prefix, strlen(prefix));
        const cJSON *spec = cJSON_GetObjectItemCaseSensitive(pod, "spec");
        const cJSON *vstatus = cJSON_GetObjectItemCaseSensitive(vmi, "status");
        assert_string_equal(
            cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(spec, "nodeName")),
            cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(vstatus, "nodeName")));
        checked++;
    }
    assert_int_equal(checked, 3);

    /* Every pod is a virt-launcher; none in another namespace; an unknown uid matches nothing. */
    assert_int_equal(cv_list(v, &s, CV_POD, NULL, "kubevirt.io", "virt-launcher", &pods), CV_OK);
    assert_int_equal(cJSON_GetArraySize(pods), 14);
    assert_int_equal(cv_list(v, &s, CV_POD, "kube-system", NULL, NULL, &pods), CV_OK);
    assert_int_equal(cJSON_GetArraySize(pods), 0);
    assert_int_equal(
        cv_list(v, &s, CV_POD, "default", "kubevirt.io/created-by", "no-such-uid", &pods), CV_OK);
    assert_int_equal(cJSON_GetArraySize(pods), 0);
    cv_scope_release(&s);
}

/* ------------------------------------------------------------------------ */
/* The fixtures                                                             */
/* ------------------------------------------------------------------------ */

static int is_data_file(const char *name)
{
    size_t n = strlen(name);
    return (n > 5 && strcmp(name + n - 5, ".yaml") == 0) ||
           (n > 4 && strcmp(name + n - 4, ".yml") == 0) ||
           (n > 5 && strcmp(name + n - 5, ".json") == 0);
}

static void every_fixture_file_parses(void **state)
{
    (void)state;
    const char *data = env_dir("MW_TEST_DATA");
    DIR *d = opendir(data);
    assert_non_null(d);
    struct dirent *de;
    int files = 0;
    while ((de = readdir(d)) != NULL) {
        if (de->d_name[0] == '.' || !is_data_file(de->d_name))
            continue;
        char path[PATH_MAX];
        snprintf(path, sizeof(path), "%s/%s", data, de->d_name);
        cJSON *docs = yaml_parse_file(path, err, sizeof(err));
        if (!docs)
            fail_msg("%s", err);
        if (cJSON_GetArraySize(docs) < 1)
            fail_msg("%s holds no document", path);
        cJSON_Delete(docs);
        files++;
    }
    closedir(d);
    assert_true(files >= 18);

    /* The whole directory loads as a cluster directory too. */
    cJSON_Delete(load_objects(data));
}

/* A cluster directory made of some fixtures (symbolic links to tests/data). */
static void fixture_subset_counts(void **state)
{
    const char *files[] = {
        "constructed-nodes-cpu-labels.yaml",
        "constructed-pvcs-rwx-vs-rwo.yaml",
        "constructed-virt-launcher-source-and-target-pods.yaml",
        "constructed-vmi-status-variants.yaml",
        "constructed-vmim-harvester-and-status.yaml",
        "harvester-kubevirt-cr-from-chart.yaml",
        "kubevirt-examples-example-migration-policy.yaml",
        "kubevirt-examples-vm-alpine-datavolume.yaml",
        "kubevirt-examples-vmi-masquerade.yaml",
        "kubevirt-examples-vmi-pvc.yaml",
        "constructed-admissionreview-vmim-create-request.json",
    };
    const char *dir = *state;
    for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
        char from[PATH_MAX * 2], to[PATH_MAX * 2];
        snprintf(from, sizeof(from), "%s/%s", env_dir("MW_TEST_DATA"), files[i]);
        snprintf(to, sizeof(to), "%s/%s", dir, files[i]);
        assert_int_equal(symlink(from, to), 0);
    }
    struct cluster_view *v = load_view(dir);
    static const struct kind_count want[] = {{CV_NODE, 2}, {CV_PVC, 2},  {CV_POD, 2},
                                             {CV_VMI, 3},  {CV_VMIM, 2}, {CV_KUBEVIRT, 1},
                                             {CV_VM, 1},   {CV_NAD, 0},  {CV_MIGRATION_POLICY, 1}};
    assert_counts(v, want, ROWS(want));

    struct cv_scope s;
    cv_scope_init(&s, 0);
    const cJSON *obj = NULL, *pods = NULL;
    /* Objects without a namespace live in "default". */
    assert_int_equal(cv_get(v, &s, CV_VMI, "default", "vmi-pvc", &obj), CV_OK);
    assert_int_equal(cv_get(v, &s, CV_VMI, "default", "vm-bridge-mgmt", &obj), CV_OK);
    assert_int_equal(cv_list(v, &s, CV_POD, "default", "kubevirt.io/created-by",
                             "5d0e3b1c-0000-4000-8000-00000000a001", &pods),
                     CV_OK);
    assert_int_equal(cJSON_GetArraySize(pods), 2);
    assert_int_equal(cv_list(v, &s, CV_POD, "default", "kubevirt.io/migrationJobUID", NULL, &pods),
                     CV_OK);
    assert_int_equal(cJSON_GetArraySize(pods), 1);
    cv_scope_release(&s);
    cv_destroy(v);
}

/* ------------------------------------------------------------------------ */
/* Directory walking, Lists, documents                                      */
/* ------------------------------------------------------------------------ */

static void lists_multi_documents_and_order(void **state)
{
    const char *dir = *state;
    static const struct {
        const char *name, *text;
    } files[] = {
        {"b-nodes.yaml", "apiVersion: v1\n"
                         "kind: NodeList\n"
                         "items:\n"
                         "- {apiVersion: v1, kind: Node, metadata: {name: n1}}\n"
                         "- {apiVersion: v1, kind: Node, metadata: {name: n2}}\n"},
        {"a-pods.json",
         "{\"apiVersion\": \"v1\", \"kind\": \"List\", \"items\": [\n"
         "  {\"apiVersion\": \"v1\", \"kind\": \"Pod\", \"metadata\": {\"name\": \"p1\", "
         "\"namespace\": \"ns1\"}}\n"
         "]}\n"},
        {"c-multi.yml", "# leading comment\n"
                        "---\n"
                        "kind: PersistentVolumeClaim\n"
                        "metadata: {name: c1, namespace: ns1}\n"
                        "---\n"
                        "---\n"
                        "kind: List\n"
                        "items: []\n"
                        "---\n"
                        "kind: ConfigMap\n"
                        "metadata: {name: other}\n"},
        {"sub/d-node.yaml", "kind: Node\nmetadata:\n  name: n3\n"},
        {".hidden.yaml", "this: [is: broken\n"},
        {"notes.txt", "not: [yaml\n"},
        {"empty.yaml", ""},
    };
    for (size_t i = 0; i < ROWS(files); i++)
        write_file(dir, files[i].name, files[i].text);

    cJSON *objects = load_objects(dir);
    const char *want[] = {"p1", "n1", "n2", "c1", "other", "n3"};
    assert_int_equal(cJSON_GetArraySize(objects), 6);
    for (int i = 0; i < 6; i++)
        assert_string_equal(meta_name(cJSON_GetArrayItem(objects, i)), want[i]);

    struct cluster_view *v = static_view_new(objects);
    assert_non_null(v);
    static const struct kind_count counts[] = {{CV_NODE, 3}, {CV_POD, 1}, {CV_PVC, 1}};
    assert_counts(v, counts, ROWS(counts));
    struct cv_scope s;
    cv_scope_init(&s, 0);
    const cJSON *obj = NULL;
    assert_int_equal(cv_get(v, &s, CV_POD, "ns1", "p1", &obj), CV_OK);
    assert_int_equal(cv_get(v, &s, CV_POD, "default", "p1", &obj), CV_NOT_FOUND);
    cv_scope_release(&s);
    cv_destroy(v);

    /* A trailing slash gives the same paths. */
    char slashed[PATH_MAX + 2];
    snprintf(slashed, sizeof(slashed), "%s/", dir);
    write_file(dir, "z-bad.yaml", "a: [\n");
    assert_null(static_load_dir(slashed, err, sizeof(err)));
    assert_error_in(dir,
                    "z-bad.yaml:2:1: did not find expected node content while parsing a flow node");
}

/* MigrationPolicies and Namespaces are cluster-scoped: found by name, whatever namespace is asked.
 */
static void policies_and_namespaces_load(void **state)
{
    const char *dir = *state;
    write_file(dir, "policies.yaml",
               "apiVersion: migrations.kubevirt.io/v1alpha1\n"
               "kind: MigrationPolicy\n"
               "metadata: {name: fast}\n"
               "spec:\n"
               "  completionTimeoutPerGiB: 300\n"
               "  selectors:\n"
               "    virtualMachineInstanceSelector: {workload: db, fast: \"true\"}\n"
               "    namespaceSelector: {tier: prod}\n"
               "---\n"
               "apiVersion: migrations.kubevirt.io/v1alpha1\n"
               "kind: MigrationPolicy\n"
               "metadata: {name: everything}\n"
               "spec: {selectors: {}}\n");
    write_file(dir, "namespaces.json",
               "{\"apiVersion\":\"v1\",\"kind\":\"NamespaceList\",\"items\":["
               "{\"apiVersion\":\"v1\",\"kind\":\"Namespace\",\"metadata\":{\"name\":\"prod\","
               "\"labels\":{\"kubernetes.io/metadata.name\":\"prod\",\"tier\":\"prod\"}}},"
               "{\"apiVersion\":\"v1\",\"kind\":\"Namespace\",\"metadata\":{\"name\":\"dev\"}}]}");
    struct cluster_view *v = load_view(dir);
    static const struct kind_count counts[] = {{CV_MIGRATION_POLICY, 2}, {CV_NAMESPACE, 2}};
    assert_counts(v, counts, ROWS(counts));
    struct cv_scope s;
    cv_scope_init(&s, 0);
    const cJSON *obj = NULL, *all = NULL;
    assert_int_equal(cv_get(v, &s, CV_MIGRATION_POLICY, NULL, "fast", &obj), CV_OK);
    const cJSON *sel =
        cJSON_GetObjectItem(cJSON_GetObjectItem(cJSON_GetObjectItem(obj, "spec"), "selectors"),
                            "virtualMachineInstanceSelector");
    assert_string_equal(cJSON_GetObjectItem(sel, "fast")->valuestring,
                        "true"); /* quoted: a string */
    assert_int_equal(
        cJSON_GetObjectItem(cJSON_GetObjectItem(obj, "spec"), "completionTimeoutPerGiB")->valueint,
        300);
    assert_int_equal(cv_get(v, &s, CV_MIGRATION_POLICY, "default", "everything", &obj), CV_OK);
    assert_int_equal(cv_get(v, &s, CV_MIGRATION_POLICY, NULL, "slow", &obj), CV_NOT_FOUND);
    assert_int_equal(cv_list(v, &s, CV_MIGRATION_POLICY, NULL, NULL, NULL, &all), CV_OK);
    assert_int_equal(cJSON_GetArraySize(all), 2);
    assert_int_equal(cv_get(v, &s, CV_NAMESPACE, NULL, "prod", &obj), CV_OK);
    assert_string_equal(meta_name(obj), "prod");
    assert_int_equal(cv_get(v, &s, CV_NAMESPACE, "prod", "dev", &obj), CV_OK);
    assert_string_equal(meta_name(obj), "dev");
    assert_int_equal(cv_list(v, &s, CV_NAMESPACE, NULL, "tier", "prod", &all), CV_OK);
    assert_int_equal(cJSON_GetArraySize(all), 1);
    assert_int_equal(cv_get(v, &s, CV_NAMESPACE, NULL, "default", &obj), CV_NOT_FOUND);
    cv_scope_release(&s);
    cv_destroy(v);
    assert_int_equal(cv_kind_from_name("MigrationPolicy"), CV_MIGRATION_POLICY);
    assert_int_equal(cv_kind_from_name("Namespace"), CV_NAMESPACE);
    assert_false(cv_kind_namespaced(CV_MIGRATION_POLICY));
    assert_false(cv_kind_namespaced(CV_NAMESPACE));
}

static void bad_file_names_file_and_position(void **state)
{
    const char *dir = *state;
    write_file(dir, "good.yaml", "kind: Node\nmetadata: {name: n1}\n");
    write_file(dir, "nodes-bad.yaml",
               "kind: Node\n"
               "metadata:\n"
               "  name: n2\n"
               " labels: {}\n");
    const char *error =
        "nodes-bad.yaml:4:2: did not find expected key while parsing a block mapping";
    cJSON *objects = static_load_dir(dir, err, sizeof(err));
    assert_null(objects);
    assert_error_in(dir, error);
    assert_null(strchr(err, '\n'));

    struct cluster_view *v = static_view_load(dir, err, sizeof(err));
    assert_null(v);
    assert_error_in(dir, error);
}

static void documents_must_be_objects(void **state)
{
    static const struct {
        const char *text, *error;
    } cases[] = {
        {"kind: Node\nmetadata: {name: n1}\n---\njust a string\n",
         "a.yaml: document 2 is a string, not an object"},
        {"[1, 2]\n", "a.yaml: document 1 is a list, not an object"},
        {"kind: List\nitems:\n- kind: Node\n- 42\n",
         "a.yaml: document 1: item 2 of the List is a number, not an object"},
        {"kind: PodList\nitems: {}\n",
         "a.yaml: document 1: items of a List is an object, not a list"},
        {"a: 1\na: 2\n", "a.yaml:2:1: duplicate key \"a\""},
    };
    const char *dir = *state;
    for (size_t i = 0; i < ROWS(cases); i++) {
        write_file(dir, "a.yaml", cases[i].text);
        assert_row_true(cases[i].error, static_load_dir(dir, err, sizeof(err)) == NULL);
        assert_error_in(dir, cases[i].error);
    }
}

static void missing_and_empty_directories(void **state)
{
    (void)state;
    assert_null(static_load_dir("/nonexistent/cluster", err, sizeof(err)));
    assert_string_equal(err, "/nonexistent/cluster: no such directory");
    assert_null(static_view_load("/nonexistent/cluster", err, sizeof(err)));
    assert_string_equal(err, "/nonexistent/cluster: no such directory");

    const char *dir = *state;
    char file[PATH_MAX + 16];
    cJSON *objects = static_load_dir(dir, err, sizeof(err));
    assert_non_null(objects);
    assert_int_equal(cJSON_GetArraySize(objects), 0);
    cJSON_Delete(objects);

    write_file(dir, "n.yaml", "kind: Node\n");
    snprintf(file, sizeof(file), "%s/n.yaml", dir);
    assert_null(static_load_dir(file, err, sizeof(err)));
    char want[PATH_MAX + 64];
    snprintf(want, sizeof(want), "%s: not a directory", file);
    assert_string_equal(err, want);
}

TEST_MAIN(cmocka_unit_test_setup_teardown(example_cluster_counts, load_example_cluster,
                                          destroy_view),
          cmocka_unit_test_setup_teardown(example_cluster_get_by_namespace_and_name,
                                          load_example_cluster, destroy_view),
          cmocka_unit_test_setup_teardown(example_cluster_launcher_pod_by_created_by_label,
                                          load_example_cluster, destroy_view),
          cmocka_unit_test(every_fixture_file_parses),
          cmocka_unit_test_setup_teardown(fixture_subset_counts, make_scratch_dir,
                                          remove_scratch_dir),
          cmocka_unit_test_setup_teardown(lists_multi_documents_and_order, make_scratch_dir,
                                          remove_scratch_dir),
          cmocka_unit_test_setup_teardown(policies_and_namespaces_load, make_scratch_dir,
                                          remove_scratch_dir),
          cmocka_unit_test_setup_teardown(bad_file_names_file_and_position, make_scratch_dir,
                                          remove_scratch_dir),
          cmocka_unit_test_setup_teardown(documents_must_be_objects, make_scratch_dir,
                                          remove_scratch_dir),
          cmocka_unit_test_setup_teardown(missing_and_empty_directories, make_scratch_dir,
                                          remove_scratch_dir))
