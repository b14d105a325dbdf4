// Playwright UI tests in a real VS Code (code-server, scripts/vscode-host/): a tasks.json task's
// terminal as the user reads it.
// - A refused promote (send-invoices from dev straight to prod, which the demo's config refuses:
//   no skipping environments) shows Flowport's own reason, no "Request flowport/… failed with
//   message" wrapper, and ends as a process that exited with 1, not as one that "failed to launch"
//   (what VS Code says of a terminal that ends with a non-zero code within 500 ms of its start).
// - What a deploy command prints reaches the terminal as text, not as control sequences: a
//   command that prints a line, then moves the cursor up and erases it, leaves both lines there.
//
//   node --test test/vscode/ui/task-terminal-ui.test.mjs      (or: node scripts/test-vscode.mjs ui)
//
// Needs the built extension and SDK: node sdk/build.mjs --no-types && node scripts/build-extension.mjs
import assert from 'node:assert/strict';
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { demoWorkspace, repoRoot } from '../../../scripts/vscode-host/demo-workspace.mjs';
import { openWorkbench } from '../../../scripts/vscode-host/run-tests.mjs';
import { assertBuilt, runTask, showFlowsView, terminalText, waitUntil, writeTasks } from './workbench.mjs';

const shotDir = join(repoRoot, 'test-output', 'ui');

/**
 * Runs `task` (labelled `label`) in a workbench on a demo copy with `files` written over it, and
 * returns the terminal's text once it matches `done`; a screenshot `shot` is kept either way.
 * @param {{ files?: Record<string, string>, task: Record<string, unknown>, label: string, done: RegExp, shot: string }} o
 */
async function taskTerminal({ files = {}, task, label, done, shot }) {
  assertBuilt(['dist/extension.js', 'sdk/dist/host.js']);
  mkdirSync(shotDir, { recursive: true });
  const folder = demoWorkspace(files);
  writeTasks(folder, [{ ...task, label, problemMatcher: [] }]);
  /** @type {Awaited<ReturnType<typeof openWorkbench>> | undefined} */
  let wb;
  try {
    wb = await openWorkbench({
      folder,
      extensionDevelopmentPath: repoRoot,
      // xterm's DOM renderer (not WebGL/canvas), so the terminal's text can be read from the page.
      userSettings: { 'terminal.integrated.gpuAcceleration': 'off' },
    });
    const { page } = wb;
    await showFlowsView(page);
    await runTask(page, label);
    const text = await waitUntil(
      async () => {
        const shown = await terminalText(page);
        return done.test(shown) ? shown : undefined;
      },
      60_000,
      `the terminal to show ${done}`,
    );
    await page.screenshot({ path: join(shotDir, `${shot}.png`) });
    return text;
  } catch (err) {
    await wb?.page.screenshot({ path: join(shotDir, `${shot}-failure.png`) }).catch(() => undefined);
    throw err;
  } finally {
    await wb?.close();
    rmSync(folder, { recursive: true, force: true });
  }
}

test('a refused promote task ends with Flowport’s reason, not "failed to launch"', { timeout: 180_000 }, async () => {
  const text = await taskTerminal({
    task: { type: 'flowport', action: 'promote', flow: ['send-invoices'], from: 'dev', to: 'prod' },
    label: 'promote send-invoices dev to prod',
    done: /terminated with exit code|failed to launch/,
    shot: 'refused-promote-terminal',
  });
  assert.match(
    text.replace(/\s+/g, ' '),
    /cannot promote "send-invoices" from dev to prod: the next environment after dev is uat\./,
  );
  assert.doesNotMatch(text, /Request flowport\/|failed with message/);
  assert.doesNotMatch(text, /failed to launch/);
  assert.match(text, /The terminal process terminated with exit code: 1\./);
});

test('a deploy command’s cursor moves and erases do not reach the task terminal', { timeout: 180_000 }, async () => {
  const text = await taskTerminal({
    // Cursor up one line, erase it, then text: what a progress bar or a hostile command may print.
    files: {
      'scripts/deploy.mjs': `console.log('the line before');\nconsole.log('\\u001b[1A\\u001b[2Kthe line after');\n`,
    },
    task: { type: 'flowport', action: 'deploy', flow: 'send-invoices', env: 'dev' },
    label: 'deploy send-invoices to dev',
    done: /is now in dev|terminated with exit code|failed to launch/,
    shot: 'task-terminal-sanitized',
  });
  assert.match(text, /is now in dev/, 'the deploy succeeded');
  assert.match(text, /the line before/, 'the line the command tried to erase is still there');
  assert.match(text, /the line after/);
});
