// Evaluates the chart's CEL matchConditions on the requests an API server
// would see, with an independent CEL implementation (scripts/fetch-cel).
// Usage: node eval_match_conditions.mjs <cel-js index.js> <conditions.json>
// conditions.json: {"<webhook name>": "<expression>", ...} as rendered.
// Prints one line per case; exits 1 when a case gives the wrong answer or errors
// (an error with failurePolicy Fail would refuse the write).
import { readFileSync } from 'node:fs'
import { pathToFileURL } from 'node:url'

const { evaluate } = await import(pathToFileURL(process.argv[2]).href)
const conditions = JSON.parse(readFileSync(process.argv[3], 'utf8'))

const vmi = (spec, annotations, status) => ({
  apiVersion: 'kubevirt.io/v1', kind: 'VirtualMachineInstance',
  metadata: { name: 'vm1', namespace: 'default', ...(annotations ? { annotations } : {}) },
  spec, ...(status ? { status } : {})
})
const spec = { domain: { devices: { disks: [{ name: 'rootdisk', disk: { bus: 'virtio' } }] } },
  volumes: [{ name: 'rootdisk', persistentVolumeClaim: { claimName: 'vm1-rootdisk' } }] }
const specCdrom = { domain: { devices: { disks: [...spec.domain.devices.disks, { name: 'cd', cdrom: { bus: 'sata' } }] } },
  volumes: spec.volumes }
const optIn = 'kubevirt.io/allow-pod-bridge-network-live-migration'
const vm = (template, labels, runStrategy) => ({
  apiVersion: 'kubevirt.io/v1', kind: 'VirtualMachine',
  metadata: { name: 'vm1', namespace: 'default', ...(labels ? { labels } : {}) },
  spec: { runStrategy, template: { metadata: {}, spec: template } }
})
const update = (object, oldObject) => ({ request: { operation: 'UPDATE' }, object, oldObject })

const vmCases = [
  ['VMI CREATE', { request: { operation: 'CREATE' }, object: vmi(spec), oldObject: null }, true],
  ['VMI status write', update(vmi(spec, null, { phase: 'Running' }), vmi(spec, null, { phase: 'Scheduled' })), false],
  ['VMI status write with annotations', update(vmi(spec, { a: '1' }, { phase: 'Running' }), vmi(spec, { a: '2' })), false],
  ['VMI spec change (CD-ROM added)', update(vmi(specCdrom), vmi(spec)), true],
  ['VMI opt-in annotation added', update(vmi(spec, { [optIn]: '' }), vmi(spec)), true],
  ['VMI opt-in annotation removed', update(vmi(spec, { b: 'c' }), vmi(spec, { [optIn]: '' })), true],
  ['VMI opt-in annotation value changed', update(vmi(spec, { [optIn]: 'x' }), vmi(spec, { [optIn]: '' })), true],
  ['VMI opt-in annotation kept', update(vmi(spec, { [optIn]: '' }, { phase: 'Running' }), vmi(spec, { [optIn]: '' })), false],
  ['VM labels only', update(vm(spec, { team: 'a' }, 'Always'), vm(spec, null, 'Always')), false],
  ['VM template spec change', update(vm(specCdrom, null, 'Always'), vm(spec, null, 'Always')), true],
  ['VM CREATE', { request: { operation: 'CREATE' }, object: vm(spec, null, 'Always'), oldObject: null }, true]
]
const podCases = [
  ['migration target pod', { object: { metadata: { labels: { 'kubevirt.io': 'virt-launcher', 'kubevirt.io/migrationJobUID': 'u' } } } }, true],
  ['source launcher pod', { object: { metadata: { labels: { 'kubevirt.io': 'virt-launcher' } } } }, false],
  ['pod without labels', { object: { metadata: {} } }, false]
]

let failed = 0
const run = (webhook, cases) => {
  const expr = conditions[webhook]
  if (!expr) { console.log(`FAIL: ${webhook} has no matchCondition`); failed++; return }
  for (const [what, ctx, want] of cases) {
    let got
    try { got = evaluate(expr, ctx) } catch (e) { got = `error: ${e.message}` }
    if (got === want) console.log(`ok: ${webhook}: ${what} -> ${want ? 'sent' : 'skipped'}`)
    else { console.log(`FAIL: ${webhook}: ${what}: got ${got}, want ${want}`); failed++ }
  }
}
run('vm.validate.migration-webhook.io', vmCases)
run('pod.mutate.migration-webhook.io', podCases)
process.exit(failed ? 1 : 0)
