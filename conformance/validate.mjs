// Runs the BSI/secvisogram CSAF validator (csaf-validator-lib, pinned in
// package-lock.json) over every *.json file of the directories given: the CSAF 2.0
// strict schema test and every mandatory test (6.1.x) must pass; the recommended tests
// (6.2.x) are reported. Exit 1 on any schema or mandatory-test error, 2 on misuse.
import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import validateStrict from '@secvisogram/csaf-validator-lib/validateStrict.js'
import * as mandatory from '@secvisogram/csaf-validator-lib/mandatoryTests.js'
import * as recommended from '@secvisogram/csaf-validator-lib/optionalTests.js'
import { csaf_2_0_strict } from '@secvisogram/csaf-validator-lib/schemaTests.js'

const dirs = process.argv.slice(2)
if (dirs.length === 0) {
  console.error('usage: node validate.mjs DIR...')
  process.exit(2)
}
const files = dirs.flatMap((dir) =>
  readdirSync(dir)
    .filter((name) => name.endsWith('.json'))
    .sort()
    .map((name) => join(dir, name)),
)
if (files.length === 0) {
  console.error(`no *.json documents in ${dirs.join(', ')}`)
  process.exit(2)
}
let failed = 0
let warned = 0
for (const file of files) {
  const document = JSON.parse(readFileSync(file, 'utf8'))
  const mustPass = await validateStrict([csaf_2_0_strict, ...Object.values(mandatory)], document)
  const should = await validateStrict(Object.values(recommended), document)
  const errors = mustPass.tests.filter((t) => t.errors.length > 0)
  const warnings = should.tests.filter((t) => t.warnings.length > 0 || t.errors.length > 0)
  console.log(`${errors.length ? 'FAIL' : 'ok  '} ${file}`)
  for (const test of errors) {
    for (const e of test.errors) console.log(`     ${test.name} ${e.instancePath}: ${e.message}`)
  }
  for (const test of warnings) {
    for (const w of [...test.warnings, ...test.errors]) {
      console.log(`     (recommended) ${test.name} ${w.instancePath}: ${w.message}`)
    }
  }
  if (errors.length) failed += 1
  if (warnings.length) warned += 1
}
console.log(
  `${files.length} documents: ${failed} failing a mandatory test, ${warned} with recommended-test findings`,
)
process.exit(failed ? 1 : 0)
