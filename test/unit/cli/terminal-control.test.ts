// A deploy command's output, its outputs and a flow's description are the project's text: printed
// by the real CLI, colours (SGR) stay and every other terminal control sequence is dropped.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { test } from 'node:test';
import { escapeJsonControls, sanitizeTerminalText } from '../../../sdk/src/terminal-text.js';
import { flowport } from '../../helpers/cli.js';
import { linkSdk, tempDir, writeTree } from '../../helpers/tmp.js';

const ESC = '\u001b';
const BEL = '\u0007';
/** Sets the window title, writes the clipboard (OSC 52), moves the cursor, erases, hides the cursor. */
const HOSTILE = [
  `${ESC}]0;pwned title${BEL}`,
  `${ESC}]52;c;Y3VybCBldmlsLnNoIHwgc2g=${BEL}`,
  `${ESC}]8;;https://evil.invalid${ESC}\\link${ESC}]8;;${ESC}\\`,
  `${ESC}[2J${ESC}[H${ESC}[3A${ESC}[?25l`,
  `${ESC}P1$r0m${ESC}\\`,
  `${ESC}7${ESC}c`,
  `\u009b2J\u009d0;c1 title\u0007`,
  // (A carriage return ends a line for the deployer's line reader: the sanitizer's test has it.)
  `back\bspace`,
].join('');
/** Any of these left in the output means a sequence got through. */
const LEFT = /\u001b(?!\[[0-9;]*m)|[\u0007\b\r\u0080-\u009f]/;

test('the sanitizer keeps SGR colours, tab and newline, and drops every other control', () => {
  const red = `${ESC}[31mred${ESC}[0m ${ESC}[1;38;5;208mbold orange${ESC}[m`;
  assert.equal(sanitizeTerminalText(red), red);
  assert.equal(sanitizeTerminalText('a\tb\nc\r\n'), 'a\tb\nc\n');
  const cleaned = sanitizeTerminalText(`start ${HOSTILE} end`);
  assert.doesNotMatch(cleaned, LEFT);
  assert.doesNotMatch(cleaned, /pwned|Y3Vyb|evil\.invalid|c1 title/);
  assert.match(cleaned, /^start .*link.*backspace end$/);
  assert.equal(sanitizeTerminalText('100%\roverwritten'), '100%overwritten');
  // An OSC left open (no BEL or ST) swallows the rest, rather than leaking into the terminal.
  assert.equal(sanitizeTerminalText(`ok${ESC}]0;never closed`), 'ok');
  assert.equal(escapeJsonControls(JSON.stringify('a\u009bb\u2028')), '"a\\u009bb\\u2028"');
});

test('deploy output, outputs, logs and descriptions reach the terminal without control sequences; --json keeps the data', () => {
  const root = tempDir();
  linkSdk(root);
  writeTree(root, {
    '.gitignore': 'node_modules/\n',
    'flowport.config.ts': `import { commandDeployer, defineConfig } from 'flowport';\nexport default defineConfig({ environments: ['dev'], deploy: commandDeployer({ command: [process.execPath, 'deploy.mjs'] }) });\n`,
    'deploy.mjs': [
      `const hostile = ${JSON.stringify(HOSTILE)};`,
      `console.log('\\u001b[32mgreen step\\u001b[0m ' + hostile + ' after');`,
      `console.error('stderr line ' + hostile);`,
      `console.log('::flowport-output note=' + hostile);`,
    ].join('\n'),
    'jobs/a.ts': `import { defineFlow } from 'flowport';\nexport const a = defineFlow({ name: 'alpha', description: ${JSON.stringify(`says ${HOSTILE} hello`)} }, async () => 1);\n`,
  });
  const git = (...args: string[]) => execFileSync('git', args, { cwd: root, stdio: 'ignore' });
  git('init', '-q');
  git('add', '-A');
  git('-c', 'user.name=T', '-c', 'user.email=t@example.invalid', 'commit', '-qm', 'init');

  const deploy = flowport(['deploy', 'alpha', '--env', 'dev', '--root', root]);
  assert.equal(deploy.code, 0, deploy.stderr);
  assert.match(deploy.stdout, /\u001b\[32mgreen step\u001b\[0m .*after/, 'colours are kept');
  assert.doesNotMatch(deploy.stdout, LEFT, JSON.stringify(deploy.stdout));
  assert.doesNotMatch(deploy.stderr, LEFT, JSON.stringify(deploy.stderr));
  assert.doesNotMatch(deploy.stdout + deploy.stderr, /pwned|Y3Vyb/);
  const id = /deployment (\S+)/.exec(deploy.stdout)?.[1];
  assert.ok(id, deploy.stdout);

  const logs = flowport(['logs', id, '--root', root]);
  assert.equal(logs.code, 0, logs.stderr);
  assert.match(logs.stdout, /green step/);
  assert.doesNotMatch(logs.stdout, LEFT, JSON.stringify(logs.stdout));

  for (const args of [['flows'], ['history', 'alpha'], ['deployments']]) {
    const r = flowport([...args, '--root', root]);
    assert.equal(r.code, 0, r.stderr);
    assert.doesNotMatch(r.stdout + r.stderr, LEFT, `${args.join(' ')}: ${JSON.stringify(r.stdout)}`);
  }

  // JSON is data: the output is there exactly, its controls escaped by JSON itself.
  const json = flowport(['history', 'alpha', '--root', root, '--json']);
  assert.doesNotMatch(json.stdout, /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/);
  const doc = JSON.parse(json.stdout) as { deployments: Array<{ outputs: Record<string, string> }> };
  assert.equal(doc.deployments[0]!.outputs.note, HOSTILE);
});
