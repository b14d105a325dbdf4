/** Compare: the commits between two environments' versions, or an environment and local HEAD. */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import * as vscode from 'vscode';
import { shortCommit } from '../model/matrix';
import type { EnvItem } from '../tree/nodes';
import { openExternal, pick, showMessage, type PickItem } from './prompts';
import { GIT_RUNS_NOTHING } from '../../../sdk/src/backend/git';

const run = promisify(execFile);

/** A commit's patch, shown read-only: `flowport-commit:/<short sha>.diff?<folder path>#<sha>` (the tab shows the short one). */
const COMMIT_SCHEME = 'flowport-commit';

export function registerCompareCommand(context: vscode.ExtensionContext): void {
  const changed = new vscode.EventEmitter<vscode.Uri>();
  context.subscriptions.push(
    changed,
    vscode.commands.registerCommand('flowport.compare', (node: EnvItem) => compare(node)),
    vscode.workspace.registerTextDocumentContentProvider(COMMIT_SCHEME, {
      onDidChange: changed.event,
      provideTextDocumentContent: commitPatch,
    }),
    // A patch opened in Restricted Mode (a restored tab) shows once the workspace is trusted.
    vscode.workspace.onDidGrantWorkspaceTrust(() => {
      for (const doc of vscode.workspace.textDocuments) if (doc.uri.scheme === COMMIT_SCHEME) changed.fire(doc.uri);
    }),
  );
}

/**
 * The patch of the commit a {@link COMMIT_SCHEME} URI names, from a folder that is open in the
 * workspace. Not in Restricted Mode: a repository's own config can make `git show` run commands
 * (textconv, external diff drivers), and those are switched off here too.
 */
async function commitPatch(uri: vscode.Uri): Promise<string> {
  if (!vscode.workspace.isTrusted)
    return 'Trust this workspace to see commits from Flowport (Restricted Mode runs no git).';
  // The full sha is in the fragment; a tab restored from before has only the short one in its path.
  const sha = uri.fragment || uri.path.replace(/^\//, '').replace(/\.diff$/, '');
  const folder = vscode.workspace.workspaceFolders?.find((f) => f.uri.fsPath === uri.query);
  if (!folder || !COMMIT_ID.test(sha)) return `Not a commit of an open folder: ${uri.toString()}`;
  try {
    return await git(folder.uri.fsPath, [
      'show',
      '--no-textconv',
      '--no-ext-diff',
      '--stat',
      '--patch',
      '--format=fuller',
      sha,
      '--',
    ]);
  } catch (err) {
    return `git could not show commit ${sha} in ${folder.name}: ${(err as Error).message}`;
  }
}

/** git with the SDK's settings that keep a repository's config from running programs (gpg on `log`). */
function git(cwd: string, args: string[]): Promise<string> {
  return run('git', [...GIT_RUNS_NOTHING, ...args], { cwd, maxBuffer: 16 * 1024 * 1024 }).then((r) => r.stdout);
}

async function compare(node: EnvItem): Promise<void> {
  const root = node.state.folder.uri.fsPath;
  type Choice = PickItem & { base: string; head: string };
  const choices: Choice[] = [];
  /** Pairs at the same commit: nothing to compare, so not offered, but said. */
  const same: string[] = [];
  const mine = node.cell.current?.commit;
  if (!mine) return;
  for (const other of node.row.cells) {
    if (other.env === node.cell.env || !other.current) continue;
    if (other.current.commit === mine) {
      same.push(other.env);
      continue;
    }
    choices.push({
      label: `${other.env} ↔ ${node.cell.env}`,
      description: `${shortCommit(other.current.commit)}..${shortCommit(mine)}`,
      base: other.current.commit,
      head: mine,
    });
  }
  const head = (await git(root, ['rev-parse', 'HEAD'])).trim();
  if (head === mine) same.push('local HEAD');
  else {
    choices.push({
      label: `${node.cell.env} ↔ local HEAD`,
      description: `${shortCommit(mine)}..${shortCommit(head)}`,
      base: mine,
      head,
    });
  }
  const sameNote = same.length
    ? `${same.join(', ')} ${same.length === 1 && same[0] !== 'local HEAD' ? 'runs' : 'run'} the same commit (${shortCommit(mine)})`
    : '';
  if (choices.length === 0) {
    void showMessage('info', `Compare ${node.flow.name} in ${node.cell.env}: nothing to compare; ${sameNote}.`);
    return;
  }
  const items: Choice[] = [...choices];
  if (sameNote) {
    items.push({ label: '', kind: vscode.QuickPickItemKind.Separator, base: '', head: '' });
    for (const env of same) {
      items.push({
        label: `${env} ↔ ${node.cell.env}`,
        unavailable: `same commit (${shortCommit(mine)})`,
        base: '',
        head: '',
      });
    }
  }
  const choice = choices.length === 1 ? choices[0] : await pick(items, { title: `Compare ${node.flow.name}` });
  if (!choice) return;
  await showCommits(root, choice.base, choice.head, choice.label);
}

/** Commit ids come from the deployment store: only hex ids reach git, never something like an option. */
const COMMIT_ID = /^[0-9a-f]{7,64}$/;

async function showCommits(root: string, base: string, head: string, title: string): Promise<void> {
  if (!COMMIT_ID.test(base) || !COMMIT_ID.test(head)) {
    void vscode.window.showWarningMessage(`${title}: "${base}" or "${head}" is not a commit id; nothing to compare.`);
    return;
  }
  // Both directions: an environment may be ahead of or behind the other.
  const [forward, backward] = await Promise.all([
    git(root, ['log', '--format=%H%x1f%an%x1f%ar%x1f%s', `${base}..${head}`, '--']),
    git(root, ['log', '--format=%H%x1f%an%x1f%ar%x1f%s', `${head}..${base}`, '--']),
  ]);
  const parse = (out: string, direction: string) =>
    out
      .split('\n')
      .filter(Boolean)
      .map((line) => {
        const [sha = '', author = '', age = '', subject = ''] = line.split('\x1f');
        return { label: subject, description: `${author} · ${age}`, detail: `${direction} ${sha.slice(0, 7)}`, sha };
      });
  const items: Array<vscode.QuickPickItem & { sha?: string; url?: string }> = [
    ...parse(forward, '$(arrow-up)'),
    ...parse(backward, '$(arrow-down)'),
  ];
  const web = await hostingCompareUrl(root, base, head);
  if (web) items.push({ label: '$(globe) Open the compare page', description: web, url: web });
  if (items.length === 0) {
    void showMessage('info', `${title}: same commit, nothing to compare.`);
    return;
  }
  const picked = await pick(items, {
    title: `${title}: ${plural(items.length - (web ? 1 : 0), 'commit')}`,
    matchOnDescription: true,
  });
  if (picked?.url) await openExternal(vscode.Uri.parse(picked.url));
  else if (picked?.sha) {
    // Read-only, named after the commit: nothing to save, no "Untitled" left dirty on close.
    const uri = vscode.Uri.from({
      scheme: COMMIT_SCHEME,
      path: `/${picked.sha.slice(0, 12)}.diff`,
      query: root,
      fragment: picked.sha,
    });
    const doc = await vscode.languages.setTextDocumentLanguage(await vscode.workspace.openTextDocument(uri), 'diff');
    await vscode.window.showTextDocument(doc, { preview: true });
  }
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

/** GitHub's and GitLab's compare pages, when `origin` points at one of them. */
export async function hostingCompareUrl(root: string, base: string, head: string): Promise<string | undefined> {
  let origin: string;
  try {
    origin = (await git(root, ['remote', 'get-url', 'origin'])).trim();
  } catch {
    return undefined;
  }
  const m = /^(?:https:\/\/|git@)(github\.com|gitlab\.com)[/:](.+?)(?:\.git)?$/.exec(origin);
  if (!m) return undefined;
  const [, host, path] = m;
  return host === 'github.com'
    ? `https://github.com/${path}/compare/${base}...${head}`
    : `https://gitlab.com/${path}/-/compare/${base}...${head}`;
}
