// Playwright UI test in a real VS Code (code-server, scripts/vscode-host/): team mode on screen. A
// demo copy whose config keeps deployments in a real PostgreSQL server (scripts/postgres/server.mjs,
// migrated by the CLI, one deploy by the CLI as another member): the status bar says
// "Flowport: team" and the tree shows that deploy; the server stopped, the status bar says
// "team (stale)" and the Flows view says it shows the last state seen; back, live again.
//
//   node --test test/vscode/ui/team-ui.test.mjs      (or: node scripts/test-vscode.mjs ui)
//
// Screenshots: test-output/ui/team-01-live.png, team-02-stale.png.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { startPostgres } from '../../../scripts/postgres/server.mjs';
import { demoWorkspace, repoRoot } from '../../../scripts/vscode-host/demo-workspace.mjs';
import { openWorkbench } from '../../../scripts/vscode-host/run-tests.mjs';
import { showFlowsView } from './workbench.mjs';

const shotDir = join(repoRoot, 'test-output', 'ui');
const CONFIG = `import { commandDeployer, defineConfig, postgresStore } from 'flowport';

export default defineConfig({
  environments: ['dev', 'uat', { name: 'prod', protected: true }],
  flows: { include: ['src/**'] },
  deployments: postgresStore({ url: process.env.FLOWPORT_DATABASE_URL ?? '', project: 'demo-team' }),
  deploy: commandDeployer({ command: [process.execPath, 'scripts/deploy.mjs'], timeoutMs: 120_000 }),
});
`;

test(
  'team mode: the status bar says team, then stale when the server is gone, then live again',
  { timeout: 240_000 },
  async (t) => {
    mkdirSync(shotDir, { recursive: true });
    const pg = await startPostgres({ log: (m) => t.diagnostic(m) });
    const folder = demoWorkspace({ 'flowport.config.ts': CONFIG });
    const env = { FLOWPORT_DATABASE_URL: pg.url };
    /** @type {Awaited<ReturnType<typeof openWorkbench>> | undefined} */
    let wb;
    try {
      const cli = (/** @type {string[]} */ ...args) =>
        execFileSync(process.execPath, [join(repoRoot, 'sdk/dist/cli.js'), ...args], {
          cwd: folder,
          env: { ...process.env, ...env },
          stdio: 'ignore',
        });
      cli('state', 'migrate');
      cli('deploy', 'send-invoices', '--env', 'dev', '--yes');
      wb = await openWorkbench({ folder, extensionDevelopmentPath: repoRoot, env });
      const { page } = wb;
      await showFlowsView(page);
      const tree = page.getByRole('tree', { name: 'Flows', exact: true });
      const flow = tree.getByRole('treeitem', { name: /^send-invoices / });
      await flow.click();
      await tree.getByRole('treeitem', { name: /^dev\b/ }).waitFor({ timeout: 20_000 });
      const status = page.locator('.statusbar-item', { hasText: /Flowport: team/ });
      await status.waitFor({ timeout: 30_000 });
      assert.equal((await status.innerText()).trim(), 'Flowport: team');
      await page.mouse.move(900, 450);
      await page.screenshot({ path: join(shotDir, 'team-01-live.png') });

      const outage = pg.restart({ downMs: 8000 });
      const stale = page.locator('.statusbar-item', { hasText: /Flowport: team \(stale\)/ });
      await stale.waitFor({ timeout: 8000 });
      await page
        .getByText(/showing the last state seen/)
        .first()
        .waitFor({ timeout: 5000 });
      await page.mouse.move(900, 450);
      await page.screenshot({ path: join(shotDir, 'team-02-stale.png') });
      await outage;
      await stale.waitFor({ state: 'detached', timeout: 15_000 });
      assert.equal((await status.innerText()).trim(), 'Flowport: team');
    } finally {
      await wb?.close();
      await pg.stop();
      rmSync(folder, { recursive: true, force: true });
    }
  },
);
