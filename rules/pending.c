/*
 * rules/pending.c - placeholder until the rule lands: each entry point of
 * rules/rules.h that has no implementation yet allows with no findings.
 * Delete this file when the real rule files arrive.
 */
#include "rules/rules.h"

static void allow_with_no_findings(const struct rule_input *in, struct verdict *out)
{
    verdict_finish(out, "", in->settings->migration, false, "");
}

void rules_vmim_validate(const struct rule_input *in, struct verdict *out)
{
    allow_with_no_findings(in, out); /* placeholder until the rule lands */
}

void rules_vm_validate(const struct rule_input *in, struct verdict *out)
{
    allow_with_no_findings(in, out); /* placeholder until the rule lands */
}

void rules_kubevirt_validate(const struct rule_input *in, struct verdict *out)
{
    allow_with_no_findings(in, out); /* placeholder until the rule lands */
}

void rules_kubevirt_mutate(const struct rule_input *in, struct verdict *out)
{
    allow_with_no_findings(in, out); /* placeholder until the rule lands */
}

void rules_pod_mutate(const struct rule_input *in, struct verdict *out)
{
    allow_with_no_findings(in, out); /* placeholder until the rule lands */
}

void rules_vmim_mutate(const struct rule_input *in, struct verdict *out)
{
    allow_with_no_findings(in, out); /* placeholder until the rule lands */
}
