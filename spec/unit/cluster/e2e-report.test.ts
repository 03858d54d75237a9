// Reading upstream's e2e runs (scripts/cluster/e2e.ts): the live line per finished spec from
// ginkgo's verbose output, and the results from its JSON report.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { SpecLines, focusFor, readReport } from '../../../scripts/cluster/e2e.js';
import { tempDir } from '../../helpers/temp-dir.js';

// as e2e-network.test v1.26.1 prints them (--ginkgo.v --ginkgo.no-color)
const OUTPUT = `STEP: Destroying namespace "services-480" for this suite. 12/07/26 14:23:05.989
------------------------------
• [SLOW TEST] [27.383 seconds]
[sig-network] Services
/work/peer-src/test/e2e/network/common/framework.go:23
  should serve a basic endpoint from pods  [Conformance]
  /work/peer-src/test/e2e/network/service.go:787

  Begin Captured GinkgoWriter Output >>
------------------------------
• [3.100 seconds]
[sig-network] Services
/work/peer-src/test/e2e/network/common/framework.go:23
  should find a service from listing all namespaces [Conformance]
  /work/peer-src/test/e2e/network/service.go:3206

------------------------------
S [SKIPPED] [0.412 seconds]
[sig-network] Services
/work/peer-src/test/e2e/network/common/framework.go:23
  [It] should work after restarting apiserver [Disruptive]
  /work/peer-src/test/e2e/network/service.go:1181

------------------------------
• [FAILED] [152.004 seconds]
[BeforeEach] [sig-network] Services
/work/peer-src/test/e2e/network/common/framework.go:23
  should allow pods to hairpin back to themselves through services
  /work/peer-src/test/e2e/network/service.go:1011

------------------------------
[SynchronizedAfterSuite] PASSED [0.001 seconds]
`;

test('e2e: a line per finished Services spec from the verbose output, with its state and time; suite nodes are not specs', () => {
  const lines: string[] = [];
  const p = new SpecLines((l) => lines.push(l));
  for (const l of OUTPUT.split('\n')) p.line(l);
  assert.deepEqual(lines, [
    'passed  [sig-network] Services should serve a basic endpoint from pods  [Conformance] (27.383 s)',
    'passed  [sig-network] Services should find a service from listing all namespaces [Conformance] (3.100 s)',
    'skipped [sig-network] Services should work after restarting apiserver [Disruptive] (0.412 s)',
    'failed  [sig-network] Services should allow pods to hairpin back to themselves through services (152.004 s)',
  ]);
});

test("e2e: the report gives the focused specs only, with a skip's reason and a failure's first line; the focus narrows the Services specs", () => {
  const spec = (leaf: string, State: string, Message?: string, container = ['[sig-network] Services']) =>
    ({ ContainerHierarchyTexts: container, LeafNodeText: leaf, LeafNodeType: 'It', State, RunTime: 2_500_000_000, ...(Message ? { Failure: { Message } } : {}) });
  const file = join(tempDir('e2e-'), 'r.json');
  writeFileSync(file, JSON.stringify([{ SpecReports: [
    { LeafNodeType: 'SynchronizedBeforeSuite', State: 'passed', RunTime: 1 },
    spec('should a', 'passed'),
    spec('should b [Disruptive]', 'skipped', 'Requires at least 2 nodes (not 1)\nmore'),
    spec('should c', 'timedout', '\nTimed out after 120s.\nExpected…'),
    spec('should d', 'skipped', undefined, ['[sig-network] Networking', 'Granular Checks: Services']),
  ] }]));
  assert.deepEqual(readReport(file, new RegExp(focusFor())), [
    { name: '[sig-network] Services should a', state: 'passed', seconds: 2.5 },
    { name: '[sig-network] Services should b [Disruptive]', state: 'skipped', seconds: 2.5, reason: 'Requires at least 2 nodes (not 1)' },
    { name: '[sig-network] Services should c', state: 'failed', seconds: 2.5, reason: 'Timed out after 120s.' },
  ]);
  assert.deepEqual(readReport(file, new RegExp(focusFor('should (a|c)'))).map((r) => r.name), ['[sig-network] Services should a', '[sig-network] Services should c']);
});
