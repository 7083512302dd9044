/* Unit tests for rules/verdict.c: how findings become a denial, warnings or nothing. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include "test_main.h"
#include <string.h>

#include "rules/verdict.h"

static const char *PREFIX = "VM default/vm1 cannot be live-migrated: ";

/* The default rule settings. */
static const struct rule_settings *defaults(void)
{
    static struct rule_settings s;
    rule_settings_default(&s);
    return &s;
}

static void deny_joins_in_order(void **state)
{
    (void)state;
    struct verdict v;
    verdict_init(&v);
    verdict_add(&v, RULE_CDROM, "disk \"%s\" is a CD-ROM; eject it first", "cdrom1");
    verdict_add(&v, RULE_CONTAINER_DISK, "volume \"%s\" is a container disk; remove it first",
                "root");
    assert_int_equal(verdict_finish(&v, PREFIX, defaults()->migration, true, "default/vm1"), 0);
    assert_false(v.allowed);
    assert_string_equal(v.message, "VM default/vm1 cannot be live-migrated: disk \"cdrom1\" is a "
                                   "CD-ROM; eject it first; volume \"root\" is a container disk; "
                                   "remove it first");
    assert_int_equal(v.nwarnings, 0);
    assert_int_equal(v.nfired, 2);
    assert_int_equal(v.fired[0], RULE_CDROM);
    verdict_free(&v);
}

static void warn_and_off_modes(void **state)
{
    (void)state;
    struct rule_settings s = *defaults();
    s.migration[RULE_CDROM] = MODE_WARN;
    s.migration[RULE_GPU] = MODE_OFF;
    struct verdict v;
    verdict_init(&v);
    verdict_add(&v, RULE_CDROM, "disk \"c\" is a CD-ROM; eject it first");
    verdict_add(&v, RULE_GPU, "GPU \"g\" (nvidia.com/A10) is passed through; remove it first");
    verdict_finish(&v, PREFIX, s.migration, true, "default/vm1");
    assert_true(v.allowed);
    assert_null(v.message);
    assert_int_equal(v.nwarnings, 1);
    assert_string_equal(
        v.warnings[0],
        "VM default/vm1 cannot be live-migrated: disk \"c\" is a CD-ROM; eject it first");
    assert_int_equal(v.nfired, 1);
    assert_int_equal(v.fired_mode[0], MODE_WARN);
    verdict_free(&v);
}

static void standalone_findings(void **state)
{
    (void)state;
    struct verdict v;
    verdict_init(&v);
    verdict_add(&v, RULE_CDROM, "disk \"c\" is a CD-ROM; eject it first");
    verdict_add_standalone(
        &v, RULE_CPU_MODEL_UNSUPPORTED,
        "CPU model Foo is not supported by any node (label cpu-model.node.kubevirt.io/Foo)");
    verdict_finish(&v, "VM default/vm1 will not be live-migratable: ", defaults()->early, false,
                   "default/vm1");
    assert_true(v.allowed);
    assert_int_equal(v.nwarnings, 2);
    assert_string_equal(
        v.warnings[0],
        "VM default/vm1 will not be live-migratable: disk \"c\" is a CD-ROM; eject it first");
    assert_string_equal(
        v.warnings[1],
        "CPU model Foo is not supported by any node (label cpu-model.node.kubevirt.io/Foo)");
    verdict_free(&v);
}

static void view_error_denies_validating_and_warns_mutating(void **state)
{
    (void)state;
    const enum rule_mode *modes = defaults()->migration;
    struct verdict v;
    verdict_init(&v);
    verdict_view_error(&v, "GET /api/v1/nodes: timed out");
    verdict_finish(&v, PREFIX, modes, true, "default/vm1");
    assert_false(v.allowed);
    assert_string_equal(v.message,
                        "cannot verify migration of VM default/vm1: GET /api/v1/nodes: timed out");
    verdict_free(&v);

    verdict_init(&v);
    verdict_patch(&v, "add", "/spec/nodeSelector", cJSON_CreateObject());
    verdict_view_error(&v, "timed out");
    verdict_finish(&v, PREFIX, modes, false, "default/vm1");
    assert_true(v.allowed);
    assert_null(v.patch);
    assert_int_equal(v.nwarnings, 1);
    verdict_free(&v);
}

static void names_round_trip(void **state)
{
    (void)state;
    for (int i = 0; i < RULE_COUNT; i++)
        assert_int_equal(rule_id_from_name(rule_id_name(i)), i);
    assert_int_equal(rule_id_from_name("nope"), -1);
    assert_int_equal(rule_mode_from_name("warn"), MODE_WARN);
    assert_int_equal(rule_mode_from_name("WARN"), -1);
}

TEST_MAIN(cmocka_unit_test(deny_joins_in_order), cmocka_unit_test(warn_and_off_modes),
          cmocka_unit_test(standalone_findings),
          cmocka_unit_test(view_error_denies_validating_and_warns_mutating),
          cmocka_unit_test(names_round_trip))
