// Playwright UI test in a real VS Code (code-server with the packaged extension installed): a plan
// of two promotes into an environment that asks for approval asks once, and the Flows tree shows
// that one request on the plan's first flow ("waiting for approval of a plan of 2"), its tooltip
// listing the plan's flows in order. The plan is started with the CLI (a teammate's terminal).
//
//   node --test test/vscode/ui/plan-approval-ui.test.mjs
//
// Needs the built extension and SDK: node sdk/build.mjs --no-types && node scripts/build-extension.mjs
// Screenshots go to test-output/plan-approval/ (on failure also failure.png and code-server.log).
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { demoWorkspace, repoRoot } from '../../../scripts/vscode-host/demo-workspace.mjs';
import { openInstalledWorkbench, packageExtension } from '../../../scripts/vscode-host/installed.mjs';
import { assertBuilt, hoverUntil, keepFailureEvidence, showFlowsView, waitUntil } from './workbench.mjs';

const shotDir = join(repoRoot, 'test-output', 'plan-approval');
const CLI = join(repoRoot, 'sdk', 'bin', 'flowport.js');
const CONFIG = `import { commandDeployer, defineConfig } from 'flowport';

export default defineConfig({
  environments: ['dev', { name: 'uat', approval: { required: 1, notInitiator: true } }],
  flows: { include: ['src/**'] },
  deploy: commandDeployer({ command: [process.execPath, 'scripts/deploy.mjs'], timeoutMs: 120_000 }),
});
`;

const cli = (/** @type {string} */ folder, /** @type {string[]} */ args) =>
  JSON.parse(execFileSync(process.execPath, [CLI, ...args, '--json', '--root', folder], { encoding: 'utf8' }));

test(
  'the tree shows a plan’s one approval on its first flow, with the plan in its tooltip',
  { timeout: 300_000 },
  async () => {
    assertBuilt(['dist/extension.js', 'sdk/dist/host.js']);
    mkdirSync(shotDir, { recursive: true });
    const folder = demoWorkspace({ 'flowport.config.ts': CONFIG });
    execFileSync('git', ['config', 'user.email', 'asker@flowport.invalid'], { cwd: folder });
    cli(folder, ['deploy', 'send-invoices', 'ingest-events', '--env', 'dev']);
    // The plan's command holds until the plan ends: started, and stopped (which cancels the request) at the end.
    const plan = spawn(
      process.execPath,
      [CLI, 'promote', 'send-invoices', 'ingest-events', '--from', 'dev', '--to', 'uat', '--root', folder],
      {
        stdio: 'ignore',
      },
    );
    /** @type {Awaited<ReturnType<typeof openInstalledWorkbench>> | undefined} */
    let wb;
    try {
      const request = await waitUntil(
        async () => cli(folder, ['approvals']).requests[0],
        60_000,
        'the plan to ask for approval',
      );
      assert.deepEqual(
        request.request.plan.steps.map((/** @type {{ flow: string }} */ s) => s.flow),
        ['send-invoices', 'ingest-events'],
      );
      wb = await openInstalledWorkbench({ folder, vsix: packageExtension() });
      const { page } = wb;
      await showFlowsView(page);
      const tree = page.getByRole('tree', { name: 'Flows', exact: true });
      const flowRow = tree.getByRole('treeitem', { name: /^send-invoices / });
      await flowRow.waitFor({ timeout: 30_000 });
      if ((await flowRow.getAttribute('aria-expanded')) !== 'true') await flowRow.locator('.monaco-tl-twistie').click();
      const uat = tree
        .getByRole('treeitem', {
          name: /^uat .*waiting for approval of a plan of 2 \(asked by asker@flowport\.invalid\)/,
        })
        .first();
      await uat.waitFor({ timeout: 30_000 });
      const hover = await hoverUntil(page, uat, 'For the whole plan', 45_000, 'the uat row’s tooltip to show the plan');
      assert.match(
        await hover.innerText(),
        /For the whole plan dev → uat: send-invoices \S+ → ingest-events \S+\. Once approved/,
      );
      await page.screenshot({ path: join(shotDir, '01-tree-plan-approval.png') });
    } catch (err) {
      await keepFailureEvidence(wb, shotDir);
      throw err;
    } finally {
      await wb?.close();
      plan.kill('SIGINT');
      for (const r of cli(folder, ['approvals']).requests) {
        try {
          cli(folder, ['cancel', r.deployment.id, '--timeout', '20']);
        } catch {
          // ended already
        }
      }
      rmSync(folder, { recursive: true, force: true });
    }
  },
);
