#!/usr/bin/env python3
"""Apply the JSON patches of the CPU-model mutation cases with an independent
RFC 6902 implementation (python3-jsonpatch) and check the result.

Input: a JSON array of {"pod": ..., "patch": [...] or null, "expected": {...} or null}.
For each case the patch must apply to the pod, and the pod's resulting
spec.nodeSelector must equal "expected" (null: absent or null).
Writes the patched pods, as a JSON array, to the second argument.
Exit status 0 when every case holds, 1 otherwise (one line per failure).
"""
import json
import sys

import jsonpatch


def main():
    cases = json.load(open(sys.argv[1]))
    patched, failures = [], 0
    for i, case in enumerate(cases):
        pod = case["pod"]
        try:
            if case["patch"] is not None:
                pod = jsonpatch.apply_patch(pod, case["patch"])
        except Exception as e:  # any failure to apply is a test failure
            print(f"case {i}: patch does not apply: {e}: {json.dumps(case)}")
            failures += 1
        got = (pod.get("spec") or {}).get("nodeSelector")
        if got != case["expected"]:
            print(f"case {i}: nodeSelector {json.dumps(got)} != expected {json.dumps(case['expected'])}")
            failures += 1
        patched.append(pod)
    json.dump(patched, open(sys.argv[2], "w"))
    print(f"{len(cases)} cases, {failures} failures")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
