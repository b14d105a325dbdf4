#!/usr/bin/env node
// `npm run test:electron`: the same extension suites under @vscode/test-electron, which downloads a
// desktop VS Code. For machines with internet; CI here runs them in code-server (`npm test`).
import { spawnSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { runTests } from '@vscode/test-electron';
import {
  CONFIG_THAT_LEAVES_A_MARKER,
  demoWorkspace,
  multiRootWorkspace,
  repoRoot,
} from './vscode-host/demo-workspace.mjs';

// Builds the SDK, the extension and the suite bundles (out/vscode-tests/*.js) without running them.
const built = spawnSync(process.execPath, [join(repoRoot, 'scripts', 'test-vscode.mjs'), '--build-only'], {
  stdio: 'inherit',
});
if (built.status !== 0) process.exit(built.status ?? 1);

let failed = 0;
for (const [suite, trusted] of [
  ['suite', true],
  ['restricted', false],
  ['multi', true],
]) {
  const folder = suite === 'multi' ? multiRootWorkspace() : demoWorkspace(trusted ? {} : CONFIG_THAT_LEAVES_A_MARKER);
  try {
    await runTests({
      extensionDevelopmentPath: repoRoot,
      extensionTestsPath: join(repoRoot, 'out', 'vscode-tests', `${suite}.js`),
      launchArgs: [folder, '--disable-extensions', ...(trusted ? ['--disable-workspace-trust'] : [])],
    });
  } catch (err) {
    console.error(`${suite}: ${err instanceof Error ? err.message : String(err)}`);
    failed++;
  } finally {
    rmSync(folder.endsWith('.code-workspace') ? dirname(folder) : folder, { recursive: true, force: true });
  }
}
process.exit(failed ? 1 : 0);
