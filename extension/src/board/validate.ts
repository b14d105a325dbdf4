/**
 * Every message from the board's webview is checked here before anything runs: first its shape,
 * then that its flow and environments exist. The webview is not trusted more than any input.
 * No `vscode` import: unit-tested in plain Node.
 */
import type { WebviewMessage } from '../../../webview/protocol';

export type Checked = { ok: true; message: WebviewMessage } | { ok: false; error: string };

/**
 * What the host knows about a flow: the environments of its folder, in promotion order, and which
 * folder it is in (a group's Promote names flows of one folder).
 */
export type FlowLookup = (flowId: string) => { envs: readonly string[]; folder?: string } | undefined;

type Fields = Record<string, 'string' | 'integer' | 'strings'>;

const SHAPES: Record<WebviewMessage['type'], Fields> = {
  ready: {},
  refresh: {},
  deploy: { flowId: 'string', env: 'string', ref: 'string' },
  promote: { flowId: 'string', from: 'string', to: 'string' },
  promoteGroup: { flowIds: 'strings', from: 'string', to: 'string' },
  history: { requestId: 'integer', flowId: 'string', env: 'string' },
  openLog: { flowId: 'string', env: 'string', deploymentId: 'string' },
  cancel: { flowId: 'string', env: 'string', deploymentId: 'string' },
  lock: { flowId: 'string', env: 'string' },
  unlock: { flowId: 'string', env: 'string' },
  approve: { flowId: 'string', env: 'string', deploymentId: 'string' },
  reject: { flowId: 'string', env: 'string', deploymentId: 'string' },
  rollback: { flowId: 'string', env: 'string', deploymentId: 'string' },
  overrideChecks: { flowId: 'string', env: 'string' },
  rerunChecks: { flowId: 'string', env: 'string' },
  openFlow: { flowId: 'string' },
  openConfig: { folder: 'string' },
};

const MAX_TEXT = 1024;
/** A group's Promote names at most this many flows (the board's benchmark has 500 in all). */
const MAX_FLOWS = 1000;

function isText(value: unknown): value is string {
  return (
    typeof value === 'string' && value.length > 0 && value.length <= MAX_TEXT && !/[\u0000-\u001f\u007f]/.test(value)
  );
}

const KIND_WORDS = {
  integer: 'an integer',
  string: 'a non-empty one-line string',
  strings: `a list of 1 to ${MAX_FLOWS} different non-empty one-line strings`,
} as const;

/** Whether a folder key (a BoardFolder's `key`) is one of the workspace's folders. */
export type FolderLookup = (key: string) => boolean;

/** Checks a message's shape, then its flow and environments against `lookup` (its folder against `hasFolder`). */
export function checkMessage(raw: unknown, lookup: FlowLookup, hasFolder: FolderLookup = () => false): Checked {
  const shaped = checkShape(raw);
  if (!shaped.ok) return shaped;
  const error = checkTargets(shaped.message, lookup, hasFolder);
  return error ? { ok: false, error } : shaped;
}

function checkShape(raw: unknown): Checked {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return { ok: false, error: 'not an object' };
  const record = raw as Record<string, unknown>;
  const type = record['type'];
  if (typeof type !== 'string' || !Object.hasOwn(SHAPES, type)) {
    return { ok: false, error: `unknown message type ${JSON.stringify(type)}` };
  }
  const fields = SHAPES[type as WebviewMessage['type']];
  for (const [name, kind] of Object.entries(fields)) {
    const value = record[name];
    const good =
      kind === 'integer'
        ? Number.isSafeInteger(value)
        : kind === 'strings'
          ? Array.isArray(value) &&
            value.length > 0 &&
            value.length <= MAX_FLOWS &&
            value.every(isText) &&
            new Set(value).size === value.length
          : isText(value);
    if (!good) return { ok: false, error: `${type}: ${name} must be ${KIND_WORDS[kind]}` };
  }
  // Only the known fields go on: nothing else the webview added reaches a command.
  const message: Record<string, unknown> = { type };
  for (const k of Object.keys(fields))
    message[k] = Array.isArray(record[k]) ? [...(record[k] as unknown[])] : record[k];
  return { ok: true, message: message as WebviewMessage };
}

function checkTargets(message: WebviewMessage, lookup: FlowLookup, hasFolder: FolderLookup): string | undefined {
  if (message.type === 'ready' || message.type === 'refresh') return undefined;
  if (message.type === 'openConfig') {
    return hasFolder(message.folder) ? undefined : `openConfig: unknown folder ${JSON.stringify(message.folder)}`;
  }
  if (message.type === 'promoteGroup') return checkGroupPromote(message, lookup);
  const flow = lookup(message.flowId);
  if (!flow) return `${message.type}: unknown flow ${JSON.stringify(message.flowId)}`;
  const known = (env: string) => flow.envs.includes(env);
  switch (message.type) {
    case 'deploy':
      if (!known(message.env)) return `deploy: unknown environment ${JSON.stringify(message.env)}`;
      if (message.ref.startsWith('-'))
        return `deploy: ref ${JSON.stringify(message.ref)} is not a branch, tag or commit`;
      return undefined;
    case 'promote':
      return checkRoute('promote', flow.envs, message.from, message.to);
    case 'history':
    case 'openLog':
    case 'cancel':
    case 'lock':
    case 'unlock':
    case 'approve':
    case 'reject':
    case 'rollback':
    case 'overrideChecks':
    case 'rerunChecks':
      return known(message.env) ? undefined : `${message.type}: unknown environment ${JSON.stringify(message.env)}`;
    case 'openFlow':
      return undefined;
  }
}

/** `to` is the environment right after `from` (the board promotes one step at a time). */
function checkRoute(type: string, envs: readonly string[], from: string, to: string): string | undefined {
  if (!envs.includes(from)) return `${type}: unknown environment ${JSON.stringify(from)}`;
  if (!envs.includes(to)) return `${type}: unknown environment ${JSON.stringify(to)}`;
  const next = envs[envs.indexOf(from) + 1];
  return next === to ? undefined : `${type}: ${to} does not follow ${from}`;
}

/** Every flow is known, all in one folder (one plan runs in one project), on a route of that folder. */
function checkGroupPromote(
  message: Extract<WebviewMessage, { type: 'promoteGroup' }>,
  lookup: FlowLookup,
): string | undefined {
  const found = message.flowIds.map((id) => ({ id, flow: lookup(id) }));
  const unknown = found.find((f) => !f.flow);
  if (unknown) return `promoteGroup: unknown flow ${JSON.stringify(unknown.id)}`;
  const first = found[0]!.flow!;
  if (found.some((f) => f.flow!.folder !== first.folder)) return 'promoteGroup: the flows are not of one folder';
  return checkRoute('promoteGroup', first.envs, message.from, message.to);
}
