/**
 * A deploy command's output lines are bounded: one printed without a newline for 512 MB (a
 * binary, a minified bundle) crashed the CLI that read it. A real deploy prints a 3 MB line: the
 * log, the live output and the recorded outcome keep its first 64 KiB and a marker, and the lines
 * after it come through whole.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { flowport } from '../../helpers/cli.js';
import { cliProject } from './fixture.js';

test('a 3 MB output line is cut at 64 KiB with a marker; the deploy succeeds and the next line is whole', () => {
  const root = cliProject(
    { billing: 'billing' },
    [
      `import { defineConfig, commandDeployer } from 'flowport';`,
      `export default defineConfig({`,
      `  environments: ['dev'],`,
      `  deploy: commandDeployer({ command: [process.execPath, '-e', "process.stdout.write('x'.repeat(3 * 1024 * 1024) + '\\\\nthe next line\\\\n')"] }),`,
      `});`,
    ].join('\n'),
  );
  const r = flowport(['deploy', 'billing', '--env', 'dev', '--json'], { cwd: root });
  assert.equal(r.code, 0, r.stderr.slice(0, 2000));
  const { results } = JSON.parse(r.stdout) as { results: { deployment: { logLocation: string } }[] };
  const log = readFileSync(results[0]!.deployment.logLocation, 'utf8');
  const long = log.split('\n').find((l) => l.startsWith('xxxx'))!;
  assert.ok(long.length < 65 * 1024, `the long line is ${long.length} characters`);
  assert.match(long, /^x{65536} … \[flowport: the rest of this line, over 64 KiB, was cut\]$/);
  assert.match(log, /\nthe next line\n/);
});
