/**
 * Records as anyone who can write the ledger could forge or damage them (a committed
 * .flowport/ledger.jsonl, a shared folder): each is skipped with a warning that names its line,
 * the records around it stay, and no command crashes on it.
 */
import assert from 'node:assert/strict';
import { appendFileSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { flowport } from '../../helpers/cli.js';
import { cliProject } from './fixture.js';

interface Record_ {
  deployment: Record<string, unknown> & { id: string; initiator?: string };
}

test('a forged record that moves a deployment to another flow, lacks its initiator or has a non-string output is skipped', () => {
  const root = cliProject({ billing: 'billing', other: 'other' });
  const deployed = flowport(['deploy', 'billing', '--env', 'dev'], { cwd: root });
  assert.equal(deployed.code, 0, deployed.stderr);
  const ledger = join(root, '.flowport', 'ledger.jsonl');
  const lines = readFileSync(ledger, 'utf8').split('\n').filter(Boolean);
  const last = JSON.parse(lines.at(-1)!) as Record_;
  const real = last.deployment;
  const forge = (deployment: Record<string, unknown>) =>
    appendFileSync(ledger, `${JSON.stringify({ ...last, deployment: { ...real, ...deployment } })}\n`);
  forge({ flowName: 'other' }); // moves the real deployment to another flow
  const { initiator: _dropped, ...noInitiator } = { ...real, id: `${real.id.slice(0, -6)}f0f0f0` };
  appendFileSync(ledger, `${JSON.stringify({ ...last, deployment: noInitiator })}\n`);
  forge({ id: `${real.id.slice(0, -6)}f1f1f1`, outputs: { size: 5 } });

  const billing = flowport(['history', 'billing', '--json'], { cwd: root });
  assert.equal(billing.code, 0, billing.stderr);
  const shown = (JSON.parse(billing.stdout) as { deployments: { id: string; flowName: string }[] }).deployments;
  assert.deepEqual(
    shown.map((d) => [d.id, d.flowName]),
    [[real.id, 'billing']],
    'the deployment stays where it was; the two other forged ones are not there',
  );
  const other = flowport(['history', 'other', '--json'], { cwd: root });
  assert.deepEqual((JSON.parse(other.stdout) as { deployments: unknown[] }).deployments, []);
  const n = lines.length;
  assert.match(
    billing.stderr,
    new RegExp(`ledger\\.jsonl:${n + 1}: skipped a record of deployment ${real.id} that moves it`),
  );
  assert.match(billing.stderr, new RegExp(`ledger\\.jsonl:${n + 2}: skipped a damaged record`));
  assert.match(billing.stderr, new RegExp(`ledger\\.jsonl:${n + 3}: skipped a damaged record`));
  // The human table, which read the initiator, does not crash either.
  const table = flowport(['history', 'billing'], { cwd: root });
  assert.equal(table.code, 0, table.stderr);
});
