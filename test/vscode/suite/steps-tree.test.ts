import * as assert from 'node:assert/strict';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as vscode from 'vscode';
import type { EnvItem } from '../../../extension/src/tree/nodes';
import { api, children, label, nodeAt, waitFor } from '../helpers';
import { git, withScratchFlow, workspaceRoot } from './scratch';

/**
 * A config whose release of `flow` is two steps: `prepare` on db, then `roll` on web's two
 * targets at once, `rollScript` run per target (a file: the config reads braces in an argument as
 * placeholders).
 */
function stepsConfig(flow: string, rollScript: string): string {
  return `import { commandDeployer, defineConfig } from 'flowport';
export default defineConfig({
  environments: [
    { name: 'dev', targets: { web: ['w1', 'w2'], db: ['d1'] } },
    { name: 'uat', targets: { web: ['u1'], db: ['ud1'] } },
    { name: 'prod', protected: true, targets: { web: ['p1'], db: ['pd1'] } },
  ],
  flows: { include: ['src/**'] },
  deploy: commandDeployer({ command: [process.execPath, 'scripts/deploy.mjs'], timeoutMs: 120_000 }),
  releases: {
    ${JSON.stringify(flow)}: {
      steps: [
        { name: 'prepare', group: 'db', command: [process.execPath, '-e', "console.log('::flowport-output schema=7')"] },
        { name: 'roll', group: 'web', parallel: 2, command: [process.execPath, ${JSON.stringify(rollScript)}, '{target}', '{step:prepare:schema}'] },
      ],
    },
  },
});
`;
}

/** w1 ends at once; w2 waits for `holdFile`, then fails with exit code 5. */
function rollScript(holdFile: string): string {
  return `import { existsSync } from 'node:fs';
if (process.argv[2] === 'w1') process.exit(0);
const t = setInterval(() => { if (existsSync(${JSON.stringify(holdFile)})) { clearInterval(t); process.exit(5); } }, 50);
`;
}

describe('A deploy of steps in the Flows tree', () => {
  it('a running deployment expands into its steps, and a step into its targets, updated as it goes', async function () {
    this.timeout(120_000);
    const { store } = await api();
    await children();
    const state = store.folders[0]!;
    const configFile = join(workspaceRoot(), 'flowport.config.ts');
    const original = readFileSync(configFile, 'utf8');
    const base = join(tmpdir(), `flowport-steps-${process.pid}-${Date.now()}`);
    const holdFile = `${base}.hold`;
    const script = `${base}.mjs`;
    writeFileSync(script, rollScript(holdFile));
    try {
      await withScratchFlow(async (flow) => {
        writeFileSync(configFile, stepsConfig(flow.name, script));
        // Committed: a deploy takes HEAD, and asks first when the tree has changes.
        git('commit', '-qm', 'steps for the scratch flow', '--', 'flowport.config.ts');
        // Until the host has loaded this config (its dev targets are w1, w2): a reload not begun yet
        // would let reloadSettled return at once, and the deploy run under the config before.
        await waitFor(
          'the config with steps to load',
          () => state.project?.environments[0]?.targets?.web?.[0] === 'w1' || undefined,
          60_000,
        );
        await store.reloadSettled(state);
        const dev = (await nodeAt(flow.group, flow.name, 'dev')) as EnvItem;
        const deploying = vscode.commands.executeCommand<number>('flowport.deployHead', dev);

        // While w2 holds: prepare done, roll running with w1 finished.
        const running = await waitFor(
          'roll to run with w1 done',
          async () => {
            const rows = await children(await nodeAt(flow.group, flow.name, 'dev'));
            const roll = rows.find((r) => r.kind === 'step' && label(r) === 'roll');
            return roll?.description === 'web · running 1/2' ? rows : undefined;
          },
          60_000,
        );
        const steps = running.filter((r) => r.kind === 'step');
        assert.deepEqual(
          steps.map((s) => `${label(s)}: ${String(s.description)}`),
          ['prepare: db · succeeded', 'roll: web · running 1/2'],
        );
        const targets = await children(steps[1]);
        assert.deepEqual(targets.map(label), ['w1', 'w2']);
        assert.match(String(targets[0]!.description), /^succeeded · /);
        assert.equal(targets[1]!.description, 'running');
        assert.equal((targets[1]!.iconPath as vscode.ThemeIcon).id, 'sync~spin');

        writeFileSync(holdFile, '');
        assert.notEqual(await deploying, 0, 'w2 failed the deploy');
        const ended = await waitFor('roll to read failed', async () => {
          const rows = await children(await nodeAt(flow.group, flow.name, 'dev'));
          const roll = rows.find((r) => r.kind === 'step' && label(r) === 'roll');
          return roll?.description === 'web · failed' ? roll : undefined;
        });
        const after = await children(ended);
        assert.deepEqual(
          after.map((t) => `${label(t)}: ${String(t.description).replace(/ · [\d.]+ m?s$/, '')}`),
          ['w1: succeeded', 'w2: failed · exit 5'],
        );
        assert.equal((after[1]!.iconPath as vscode.ThemeIcon).id, 'error');
        assert.match(String(after[0]!.tooltip), /^w1: succeeded/);
      });
    } finally {
      if (readFileSync(configFile, 'utf8') !== original) {
        writeFileSync(configFile, original);
        git('commit', '-qm', 'the config as it was', '--', 'flowport.config.ts');
      }
      await waitFor(
        'the config as it was to load',
        () => state.project?.environments[0]?.targets?.web?.[0] !== 'w1' || undefined,
        60_000,
      );
      await store.reloadSettled(state);
      for (const f of [holdFile, script]) if (existsSync(f)) rmSync(f);
    }
  });
});
