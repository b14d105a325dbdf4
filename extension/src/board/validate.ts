/**
 * Every message from the board's webview is checked here before anything runs: first its shape,
 * then that its flow and environments exist. The webview is not trusted more than any input.
 * No `vscode` import: unit-tested in plain Node.
 */
import type { WebviewMessage } from '../../../webview/protocol';

export type Checked = { ok: true; message: WebviewMessage } | { ok: false; error: string };

/** What the host knows about a flow: the environments of its folder, in promotion order. */
export type FlowLookup = (flowId: string) => { envs: readonly string[] } | undefined;

type Fields = Record<string, 'string' | 'integer'>;

const SHAPES: Record<WebviewMessage['type'], Fields> = {
  ready: {},
  refresh: {},
  deploy: { flowId: 'string', env: 'string', ref: 'string' },
  promote: { flowId: 'string', from: 'string', to: 'string' },
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
        : typeof value === 'string' &&
          value.length > 0 &&
          value.length <= MAX_TEXT &&
          !/[\u0000-\u001f\u007f]/.test(value);
    if (!good)
      return {
        ok: false,
        error: `${type}: ${name} must be ${kind === 'integer' ? 'an integer' : 'a non-empty one-line string'}`,
      };
  }
  // Only the known fields go on: nothing else the webview added reaches a command.
  const message: Record<string, unknown> = { type };
  for (const k of Object.keys(fields)) message[k] = record[k];
  return { ok: true, message: message as WebviewMessage };
}

function checkTargets(message: WebviewMessage, lookup: FlowLookup, hasFolder: FolderLookup): string | undefined {
  if (message.type === 'ready' || message.type === 'refresh') return undefined;
  if (message.type === 'openConfig') {
    return hasFolder(message.folder) ? undefined : `openConfig: unknown folder ${JSON.stringify(message.folder)}`;
  }
  const flow = lookup(message.flowId);
  if (!flow) return `${message.type}: unknown flow ${JSON.stringify(message.flowId)}`;
  const known = (env: string) => flow.envs.includes(env);
  switch (message.type) {
    case 'deploy':
      if (!known(message.env)) return `deploy: unknown environment ${JSON.stringify(message.env)}`;
      if (message.ref.startsWith('-'))
        return `deploy: ref ${JSON.stringify(message.ref)} is not a branch, tag or commit`;
      return undefined;
    case 'promote': {
      if (!known(message.from)) return `promote: unknown environment ${JSON.stringify(message.from)}`;
      if (!known(message.to)) return `promote: unknown environment ${JSON.stringify(message.to)}`;
      const next = flow.envs[flow.envs.indexOf(message.from) + 1];
      return next === message.to ? undefined : `promote: ${message.to} does not follow ${message.from}`;
    }
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
