/** The real SDK host (the built sdk/dist/host.js) over stdio, as the editor starts it. */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import {
  createMessageConnection,
  StreamMessageReader,
  StreamMessageWriter,
  type MessageConnection,
} from 'vscode-jsonrpc/node';
import { exited, linkSdk, onCleanup, tempDir, writeTree } from './tmp.js';

const hostScript = new URL('../../sdk/dist/host.js', import.meta.url).pathname;

export interface StartedHost {
  connection: MessageConnection;
  child: ChildProcess;
  /** Everything it wrote to stderr so far. */
  stderr: () => string;
}

/**
 * Starts a host on `root` (with extra environment `env`). It is stopped, and has exited, when
 * the test ends and before its folder is removed: a host stopped then still writes its scan cache
 * there as it exits.
 */
export function startHost(root: string, env: NodeJS.ProcessEnv = {}): StartedHost {
  const child = spawn(process.execPath, [hostScript, '--root', root], {
    stdio: ['pipe', 'pipe', 'pipe'],
    env: { ...process.env, ...env },
  });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const connection = createMessageConnection(
    new StreamMessageReader(child.stdout),
    new StreamMessageWriter(child.stdin),
  );
  connection.listen();
  onCleanup(async () => {
    await exited(child);
    connection.dispose();
  });
  return { connection, child, stderr: () => stderr };
}

/** A project in a temp folder holding `files`, `flowport` linked to this SDK, committed in git. */
export function gitProject(files: Record<string, string>): string {
  const root = tempDir();
  linkSdk(root);
  writeTree(root, { '.gitignore': 'node_modules/\nout/\n', ...files });
  const git = (...args: string[]) => execFileSync('git', args, { cwd: root, stdio: 'ignore' });
  git('init', '-q');
  git('add', '-A');
  git('-c', 'user.name=T', '-c', 'user.email=t@example.invalid', 'commit', '-qm', 'init');
  return root;
}
