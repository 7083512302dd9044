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

static void example_cluster_dir(char *out, size_t len)
{
    snprintf(out, len, "%s/examples/cluster", env_dir("MW_SOURCE_DIR"));
}

/* ------------------------------------------------------------------------ */
/* Scratch directories                                                      */
/* ------------------------------------------------------------------------ */

static void make_scratch_dir(char *out, size_t len)
{
    snprintf(out, len, "/tmp/mw-static-view-XXXXXX");
    assert_non_null(mkdtemp(out));
}

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

static void remove_tree(const char *dir)
{
    nftw(dir, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
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

/* ------------------------------------------------------------------------ */
/* The example cluster                                                      */
/* ------------------------------------------------------------------------ */

static void example_cluster_counts(void **state)
{
    (void)state;
    char dir[PATH_MAX];
    example_cluster_dir(dir, sizeof(dir));
    struct cluster_view *v = load_view(dir);
    assert_int_equal(static_view_count(v, CV_NODE), 6);
    assert_int_equal(static_view_count(v, CV_VM), 4);
    /* 11 in vmis.yaml, 5 in vmis-rev2.yaml, 3 in vms-drain.yaml (with their pods and disks) */
    assert_int_equal(static_view_count(v, CV_VMI), 19);
    assert_int_equal(static_view_count(v, CV_VMIM), 0);
    assert_int_equal(static_view_count(v, CV_PVC), 16);
    assert_int_equal(static_view_count(v, CV_POD), 14);
    assert_int_equal(static_view_count(v, CV_KUBEVIRT), 1);
    assert_int_equal(static_view_count(v, CV_NAD), 1);
    assert_int_equal(static_view_count(v, CV_MIGRATION_POLICY), 1);
    assert_int_equal(static_view_count(v, CV_NAMESPACE), 1);
    cv_destroy(v);
}

static void example_cluster_get_by_namespace_and_name(void **state)
{
    (void)state;
    char dir[PATH_MAX];
    example_cluster_dir(dir, sizeof(dir));
    struct cluster_view *v = load_view(dir);
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
    cv_destroy(v);
}

static void example_cluster_launcher_pod_by_created_by_label(void **state)
{
    (void)state;
    char dir[PATH_MAX];
    example_cluster_dir(dir, sizeof(dir));
    struct cluster_view *v = load_view(dir);
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
    cv_destroy(v);
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
    cJSON *objects = static_load_dir(data, err, sizeof(err));
    if (!objects)
        fail_msg("%s", err);
    cJSON_Delete(objects);
}

/* A cluster directory made of some fixtures (symbolic links to tests/data). */
static void fixture_subset_counts(void **state)
{
    (void)state;
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
    char dir[PATH_MAX];
    make_scratch_dir(dir, sizeof(dir));
    for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
        char from[PATH_MAX * 2], to[PATH_MAX * 2];
        snprintf(from, sizeof(from), "%s/%s", env_dir("MW_TEST_DATA"), files[i]);
        snprintf(to, sizeof(to), "%s/%s", dir, files[i]);
        assert_int_equal(symlink(from, to), 0);
    }
    struct cluster_view *v = load_view(dir);
    remove_tree(dir);
    assert_int_equal(static_view_count(v, CV_NODE), 2);
    assert_int_equal(static_view_count(v, CV_PVC), 2);
    assert_int_equal(static_view_count(v, CV_POD), 2);
    assert_int_equal(static_view_count(v, CV_VMI), 3);
    assert_int_equal(static_view_count(v, CV_VMIM), 2);
    assert_int_equal(static_view_count(v, CV_KUBEVIRT), 1);
    assert_int_equal(static_view_count(v, CV_VM), 1);
    assert_int_equal(static_view_count(v, CV_NAD), 0);
    assert_int_equal(static_view_count(v, CV_MIGRATION_POLICY), 1);

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
    (void)state;
    char dir[PATH_MAX];
    make_scratch_dir(dir, sizeof(dir));
    write_file(dir, "b-nodes.yaml",
               "apiVersion: v1\n"
               "kind: NodeList\n"
               "items:\n"
               "- {apiVersion: v1, kind: Node, metadata: {name: n1}}\n"
               "- {apiVersion: v1, kind: Node, metadata: {name: n2}}\n");
    write_file(dir, "a-pods.json",
               "{\"apiVersion\": \"v1\", \"kind\": \"List\", \"items\": [\n"
               "  {\"apiVersion\": \"v1\", \"kind\": \"Pod\", \"metadata\": {\"name\": \"p1\", "
               "\"namespace\": \"ns1\"}}\n"
               "]}\n");
    write_file(dir, "c-multi.yml",
               "# leading comment\n"
               "---\n"
               "kind: PersistentVolumeClaim\n"
               "metadata: {name: c1, namespace: ns1}\n"
               "---\n"
               "---\n"
               "kind: List\n"
               "items: []\n"
               "---\n"
               "kind: ConfigMap\n"
               "metadata: {name: other}\n");
    write_file(dir, "sub/d-node.yaml", "kind: Node\nmetadata:\n  name: n3\n");
    write_file(dir, ".hidden.yaml", "this: [is: broken\n");
    write_file(dir, "notes.txt", "not: [yaml\n");
    write_file(dir, "empty.yaml", "");

    cJSON *objects = static_load_dir(dir, err, sizeof(err));
    if (!objects)
        fail_msg("%s", err);
    const char *want[] = {"p1", "n1", "n2", "c1", "other", "n3"};
    assert_int_equal(cJSON_GetArraySize(objects), 6);
    for (int i = 0; i < 6; i++)
        assert_string_equal(meta_name(cJSON_GetArrayItem(objects, i)), want[i]);

    struct cluster_view *v = static_view_new(objects);
    assert_non_null(v);
    assert_int_equal(static_view_count(v, CV_NODE), 3);
    assert_int_equal(static_view_count(v, CV_POD), 1);
    assert_int_equal(static_view_count(v, CV_PVC), 1);
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
    char want_err[PATH_MAX + 128];
    snprintf(want_err, sizeof(want_err),
             "%s/z-bad.yaml:2:1: did not find expected node content while parsing a flow node",
             dir);
    assert_string_equal(err, want_err);
    remove_tree(dir);
}

/* MigrationPolicies and Namespaces are cluster-scoped: found by name, whatever namespace is asked.
 */
static void policies_and_namespaces_load(void **state)
{
    (void)state;
    char dir[PATH_MAX];
    make_scratch_dir(dir, sizeof(dir));
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
    remove_tree(dir);
    assert_int_equal(static_view_count(v, CV_MIGRATION_POLICY), 2);
    assert_int_equal(static_view_count(v, CV_NAMESPACE), 2);
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
    (void)state;
    char dir[PATH_MAX];
    make_scratch_dir(dir, sizeof(dir));
    write_file(dir, "good.yaml", "kind: Node\nmetadata: {name: n1}\n");
    write_file(dir, "nodes-bad.yaml",
               "kind: Node\n"
               "metadata:\n"
               "  name: n2\n"
               " labels: {}\n");
    cJSON *objects = static_load_dir(dir, err, sizeof(err));
    assert_null(objects);
    char want[PATH_MAX + 128];
    snprintf(want, sizeof(want),
             "%s/nodes-bad.yaml:4:2: did not find expected key while parsing a block mapping", dir);
    assert_string_equal(err, want);
    assert_null(strchr(err, '\n'));

    struct cluster_view *v = static_view_load(dir, err, sizeof(err));
    assert_null(v);
    assert_string_equal(err, want);
    remove_tree(dir);
}

static void documents_must_be_objects(void **state)
{
    (void)state;
    char dir[PATH_MAX], want[PATH_MAX + 128];
    make_scratch_dir(dir, sizeof(dir));
    write_file(dir, "a.yaml", "kind: Node\nmetadata: {name: n1}\n---\njust a string\n");
    assert_null(static_load_dir(dir, err, sizeof(err)));
    snprintf(want, sizeof(want), "%s/a.yaml: document 2 is a string, not an object", dir);
    assert_string_equal(err, want);

    write_file(dir, "a.yaml", "[1, 2]\n");
    assert_null(static_load_dir(dir, err, sizeof(err)));
    snprintf(want, sizeof(want), "%s/a.yaml: document 1 is a list, not an object", dir);
    assert_string_equal(err, want);

    write_file(dir, "a.yaml", "kind: List\nitems:\n- kind: Node\n- 42\n");
    assert_null(static_load_dir(dir, err, sizeof(err)));
    snprintf(want, sizeof(want),
             "%s/a.yaml: document 1: item 2 of the List is a number, not an object", dir);
    assert_string_equal(err, want);

    write_file(dir, "a.yaml", "kind: PodList\nitems: {}\n");
    assert_null(static_load_dir(dir, err, sizeof(err)));
    snprintf(want, sizeof(want), "%s/a.yaml: document 1: items of a List is an object, not a list",
             dir);
    assert_string_equal(err, want);

    write_file(dir, "a.yaml", "a: 1\na: 2\n");
    assert_null(static_load_dir(dir, err, sizeof(err)));
    snprintf(want, sizeof(want), "%s/a.yaml:2:1: duplicate key \"a\"", dir);
    assert_string_equal(err, want);
    remove_tree(dir);
}

static void missing_and_empty_directories(void **state)
{
    (void)state;
    assert_null(static_load_dir("/nonexistent/cluster", err, sizeof(err)));
    assert_string_equal(err, "/nonexistent/cluster: no such directory");
    assert_null(static_view_load("/nonexistent/cluster", err, sizeof(err)));
    assert_string_equal(err, "/nonexistent/cluster: no such directory");

    char dir[PATH_MAX], file[PATH_MAX + 16];
    make_scratch_dir(dir, sizeof(dir));
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
    remove_tree(dir);
}

TEST_MAIN(cmocka_unit_test(example_cluster_counts),
          cmocka_unit_test(example_cluster_get_by_namespace_and_name),
          cmocka_unit_test(example_cluster_launcher_pod_by_created_by_label),
          cmocka_unit_test(every_fixture_file_parses), cmocka_unit_test(fixture_subset_counts),
          cmocka_unit_test(lists_multi_documents_and_order),
          cmocka_unit_test(policies_and_namespaces_load),
          cmocka_unit_test(bad_file_names_file_and_position),
          cmocka_unit_test(documents_must_be_objects),
          cmocka_unit_test(missing_and_empty_directories))
