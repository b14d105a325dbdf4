/**
 * Per-test state for the suites that run in VS Code: a flow of its own (committed, so a deploy of
 * HEAD has it), the prompts the commands show, and the host's environment. Each test sets up what
 * it needs and leaves the workspace as it found it, so the tests pass in any order.
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as vscode from 'vscode';
import type { TestPrompts } from '../../../extension/src/commands/prompts';
import type { DeploymentDetails } from '../../../sdk/src/model';
import { localLedger } from '../../../sdk/src/index';
import { api, children, label, waitFor } from '../helpers';

export function workspaceRoot(): string {
  return vscode.workspace.workspaceFolders![0]!.uri.fsPath;
}

export function git(...args: string[]): string {
  return execFileSync('git', ['-c', 'user.name=Flowport Test', '-c', 'user.email=test@flowport.invalid', ...args], {
    cwd: workspaceRoot(),
    encoding: 'utf8',
  });
}

export interface ScratchFlow {
  name: string;
  id: string;
  /** The tree's group of the flow: its folder. */
  group: string;
  file: string;
}

/**
 * A flow only this test knows, committed (a deploy takes HEAD), seen in the tree; removed (and
 * that committed) after `body`, and gone from the tree again.
 */
export async function withScratchFlow<T>(body: (flow: ScratchFlow) => Promise<T>): Promise<T> {
  const tag = randomBytes(3).toString('hex');
  const name = `scratch-${tag}`;
  const group = `src/scratch-${tag}`;
  const rel = `${group}/flow.ts`;
  const file = join(workspaceRoot(), rel);
  mkdirSync(join(workspaceRoot(), group), { recursive: true });
  writeFileSync(
    file,
    `/**\n * A flow of one test.\n * @flow ${name}\n */\nexport const scratch = async (): Promise<string> => '${name}';\n`,
  );
  git('add', '--', rel);
  git('commit', '-qm', `add ${name}`, '--', rel);
  const flow = { name, id: `${rel}#${name}`, group, file };
  try {
    await waitFor(`${name} in the tree`, async () => (await children()).map(label).includes(group) || undefined);
    return await body(flow);
  } finally {
    git('rm', '-q', '-r', '--', group);
    git('commit', '-qm', `remove ${name}`);
    rmSync(join(workspaceRoot(), group), { recursive: true, force: true });
    await waitFor(`${name} to leave the tree`, async () =>
      (await children()).map(label).includes(group) ? undefined : true,
    );
  }
}

/** The prompts seam (only in the extension's test mode); answers and the log are reset after each use. */
export async function testPrompts(): Promise<TestPrompts> {
  const prompts = await vscode.commands.executeCommand<TestPrompts>('flowport.test.prompts');
  if (!prompts) throw new Error('flowport.test.prompts is not registered: is the extension in test mode?');
  return prompts;
}

/** Runs `body` with `answer` answering every prompt, and clears the log and the answerer after. */
export async function answering<T>(
  answer: TestPrompts['answer'],
  body: (prompts: TestPrompts) => Promise<T>,
): Promise<T> {
  const prompts = await testPrompts();
  prompts.shown.length = 0;
  prompts.answer = answer;
  try {
    return await body(prompts);
  } finally {
    prompts.answer = undefined;
    prompts.shown.length = 0;
  }
}

/** The flow's deployments in `env` (every attempt), oldest first, from the store itself. */
export async function deploymentsOf(flow: string, env: string): Promise<DeploymentDetails[]> {
  return localLedger({ root: workspaceRoot() }).findDeployments({ flows: [flow], envs: [env], history: true });
}

/** Waits until the view model shows `flow`'s latest attempt in `env` with `status`. */
export async function waitForStatus(flow: string, env: string, status: string): Promise<DeploymentDetails> {
  const { store } = await api();
  return waitFor(`${flow} ${env} to be ${status}`, async () => {
    const state = store.folders[0]!;
    await store.refreshDeployments(state);
    const mine = state.deployments.filter((d) => d.flowName === flow && d.env === env);
    const latest = mine.at(-1);
    return latest?.status === status ? latest : undefined;
  });
}

/**
 * Sets environment variables for the SDK host (the demo's deploy script reads them) and restarts
 * it; puts them back, and restarts it again, after `body`.
 */
export async function withHostEnv<T>(vars: Record<string, string>, body: () => Promise<T>): Promise<T> {
  const { store } = await api();
  const before = Object.fromEntries(Object.keys(vars).map((k) => [k, process.env[k]]));
  Object.assign(process.env, vars);
  await store.restartHosts();
  try {
    return await body();
  } finally {
    for (const [k, v] of Object.entries(before)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
    await store.restartHosts();
  }
}

/** The processes of a process group (Linux: /proc/<pid>/stat's 5th field), zombies left out. */
export function processGroup(pgid: number): number[] {
  const members: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    let stat: string;
    try {
      stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
    } catch {
      continue; // ended meanwhile
    }
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    if (fields[0] !== 'Z' && Number(fields[2]) === pgid) members.push(Number(entry));
  }
  return members;
}
