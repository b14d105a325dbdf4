/**
 * The safe operations from the tree, the board and the palette: lock and unlock an environment (or
 * one flow in it), approve or reject a deploy that waits for approval, roll back to an earlier
 * release, and show the queue. Each one asks the folder's SDK host, which applies the CLI's rules
 * (sdk/src/backend/decisions.ts) and refuses with the CLI's words; the views refresh from the store.
 */
import * as vscode from 'vscode';
import { describeLock, type EnvLock } from '../../../sdk/src/backend/locks';
import { Methods, type PendingApproval, type Release } from '../../../sdk/src/host/protocol';
import type { DeploymentDetails, FlowDetails } from '../../../sdk/src/model';
import { hostError } from '../host/host-client';
import { awaitsApproval, describeQueueSpot, indexDeployments, relativeAge, shortCommit } from '../model/matrix';
import type { FlowportStore, FolderState } from '../store';
import { runTask, TASK_TYPE } from '../tasks/flowport-task';
import { EnvItem, FlowItem } from '../tree/nodes';
import { cancelDeployment } from './cancel-command';
import { input, pick, showMessage, type PickItem } from './prompts';

export function registerSafeOpsCommands(context: vscode.ExtensionContext, store: FlowportStore): void {
  context.subscriptions.push(
    // From an environment row (its node: the whole environment), or the palette (env name, optional flow).
    vscode.commands.registerCommand('flowport.lockEnvironment', (target?: EnvItem | string, flowName?: string) =>
      lock(store, target instanceof EnvItem ? { state: target.state, env: target.cell.env } : target, flowName),
    ),
    // From an environment row: that flow only, in that environment.
    vscode.commands.registerCommand('flowport.lockFlow', (node: EnvItem) =>
      lock(store, { state: node.state, env: node.cell.env }, node.flow.name),
    ),
    // From a locked row, the palette, or a refusal's button (env, flow).
    vscode.commands.registerCommand('flowport.unlockEnvironment', (target?: EnvItem | string, flowName?: string) =>
      unlock(store, target, flowName),
    ),
    vscode.commands.registerCommand('flowport.approveDeployment', (target?: EnvItem | string) =>
      decide(store, 'approve', target),
    ),
    vscode.commands.registerCommand('flowport.rejectDeployment', (target?: EnvItem | string) =>
      decide(store, 'reject', target),
    ),
    // From an environment row, the board's history (flow id, env, release id), or the palette.
    vscode.commands.registerCommand(
      'flowport.rollback',
      (target?: EnvItem | FlowItem | string, env?: string, to?: string) => rollback(store, target, env, to),
    ),
    vscode.commands.registerCommand('flowport.showQueue', () => showQueue(store)),
  );
}

/** The folder a palette command acts on: the only one with a project, or the one picked. */
async function pickFolder(store: FlowportStore, title: string): Promise<FolderState | undefined> {
  await store.ensureLoaded();
  const states = store.folders.filter((s) => s.project?.configFile);
  if (states.length <= 1) {
    if (!states[0]) void showMessage('info', 'Flowport: no folder of this workspace has a flowport.config.ts.');
    return states[0];
  }
  const picked = await pick(
    states.map((s) => ({ label: s.folder.name, state: s })),
    { title, placeHolder: 'Which folder' },
  );
  return picked?.state;
}

/** Sends one request to the folder's host; a Flowport refusal is said as a warning and gives undefined. */
async function ask<T>(
  store: FlowportStore,
  state: FolderState,
  what: string,
  send: (c: Awaited<ReturnType<FolderState['client']['connect']>>) => Promise<T>,
): Promise<T | undefined> {
  try {
    return await send(await state.client.connect());
  } catch (err) {
    const error = hostError(err);
    store.log.warn(`${what}: ${error.message}`);
    void showMessage(error.kind === undefined ? 'error' : 'warning', `Flowport: ${error.message}`);
    return undefined;
  }
}

/** Locks `env` (or `presetFlow` in it) after asking why; from a node, the board, or the palette (undefined). */
export async function lock(
  store: FlowportStore,
  target: { state: FolderState; env: string } | string | undefined,
  presetFlow?: string,
): Promise<boolean> {
  const title = 'Flowport: Lock Environment';
  const state = typeof target === 'object' ? target.state : await pickFolder(store, title);
  if (!state) return false;
  const envs = (state.project?.environments ?? []).map((e) => e.name);
  let env = typeof target === 'object' ? target.env : target;
  if (env === undefined) {
    const picked = await pick(
      envs.map((name) => {
        const held = state.locks.find((l) => l.env === name && l.flowName === undefined);
        return held ? { label: name, unavailable: `locked: ${describeLock(held)}` } : { label: name };
      }),
      { title, placeHolder: 'Lock which environment' },
    );
    if (!picked) return false;
    env = picked.label;
    // From the palette: the whole environment, or one flow in it.
    if (presetFlow === undefined && state.flows.length > 0) {
      const every = `Every flow in ${env}`;
      const scope = await pick(
        [
          { label: every, description: 'deploys of any flow there are refused' },
          ...state.flows.map((f) => ({ label: f.name, description: `only ${f.name} in ${env}` })),
        ],
        { title, placeHolder: `Lock ${env} for every flow, or for one` },
      );
      if (!scope) return false;
      if (scope.label !== every) presetFlow = scope.label;
    }
  }
  const what = presetFlow === undefined ? env : `${presetFlow} in ${env}`;
  const reason = await input({
    title: `Lock ${what}`,
    prompt: 'Why? Whoever it stops reads this (with your name and the time).',
    placeHolder: 'e.g. release freeze until Monday',
    validateInput: (text) => (text.trim() ? undefined : 'Say why: a lock tells whoever it stops why.'),
  });
  if (!reason?.trim()) return false;
  const result = await ask(store, state, `lock ${what}`, (c) =>
    c.sendRequest(Methods.lock, {
      env,
      ...(presetFlow === undefined ? {} : { flowName: presetFlow }),
      reason: reason.trim(),
    }),
  );
  if (!result) return false;
  await store.refreshDeployments(state);
  if (!result.taken) {
    void showMessage('warning', `Flowport: already locked, nothing changed: ${describeLock(result.lock)}.`);
    return false;
  }
  vscode.window.setStatusBarMessage(`Flowport: locked ${what}`, 5000);
  return true;
}

/** The lock an Unlock names: a row's or the board's cell's, a refusal's (env, flow), or one picked from those that hold. */
async function lockToLift(
  store: FlowportStore,
  target: EnvItem | { state: FolderState; lock: EnvLock } | string | undefined,
  flowName: string | undefined,
): Promise<{ state: FolderState; lock: EnvLock } | undefined> {
  if (target instanceof EnvItem) {
    const lock = target.cell.lock;
    if (!lock) {
      void showMessage('info', `Flowport: ${target.cell.env} is not locked.`);
      return undefined;
    }
    return { state: target.state, lock };
  }
  if (typeof target === 'object') return target;
  const state = await pickFolder(store, 'Flowport: Unlock Environment');
  if (!state) return undefined;
  await store.refreshDeployments(state); // a lock taken or lifted elsewhere just now counts
  if (typeof target === 'string') {
    const lock = state.locks.find((l) => l.env === target && l.flowName === (flowName || undefined));
    if (!lock) void showMessage('info', `Flowport: ${flowName ? `${flowName} in ` : ''}${target} is not locked.`);
    return lock && { state, lock };
  }
  if (state.locks.length === 0) {
    void showMessage('info', 'Flowport: nothing is locked.');
    return undefined;
  }
  const picked = await pick(
    state.locks.map((l) => ({
      label: l.flowName === undefined ? l.env : `${l.flowName} in ${l.env}`,
      description: `${l.by} · ${relativeAge(l.at)}`,
      detail: l.reason,
      lock: l,
    })),
    { title: 'Flowport: Unlock Environment', placeHolder: 'Lift which lock', matchOnDescription: true },
  );
  return picked && { state, lock: picked.lock };
}

/** Lifts a lock; someone else's only once the user confirmed, in a modal. */
export async function unlock(
  store: FlowportStore,
  target: EnvItem | { state: FolderState; lock: EnvLock } | string | undefined,
  flowName?: string,
): Promise<boolean> {
  const found = await lockToLift(store, target, flowName);
  if (!found) return false;
  const { state, lock } = found;
  const me = state.lockIdentity;
  let confirmed = false;
  if (lock.by !== me) {
    // Someone else's lock: they took it for a reason, so it is lifted only once confirmed (the CLI's --yes).
    const go = 'Unlock';
    const answer = await showMessage(
      'warning',
      `Unlock ${lock.flowName === undefined ? lock.env : `${lock.flowName} in ${lock.env}`}? It is not your lock.`,
      {
        modal: true,
        detail: `${describeLock(lock)}. You are ${me ?? 'someone else'}; the unlock is recorded with your name.`,
      },
      go,
    );
    if (answer !== go) return false;
    confirmed = true;
  }
  const unlocked = await ask(store, state, `unlock ${lock.env}`, (c) =>
    c.sendRequest(Methods.unlock, {
      env: lock.env,
      ...(lock.flowName === undefined ? {} : { flowName: lock.flowName }),
      lockId: lock.id,
      confirmed,
    }),
  );
  await store.refreshDeployments(state);
  if (!unlocked) return false;
  vscode.window.setStatusBarMessage(`Flowport: unlocked ${unlocked.env}`, 5000);
  return true;
}

/** The deploy an Approve or Reject is about: a row's waiting one, an id, or one picked from the requests. */
async function requestToDecide(
  store: FlowportStore,
  verb: 'approve' | 'reject',
  target: EnvItem | string | undefined,
): Promise<{ state: FolderState; deployment: DeploymentDetails } | undefined> {
  if (target instanceof EnvItem) {
    const waiting = target.cell.awaiting?.deployment;
    if (!waiting)
      void showMessage('info', `Flowport: no deploy of ${target.flow.name} to ${target.cell.env} waits for approval.`);
    return waiting && { state: target.state, deployment: waiting };
  }
  if (typeof target === 'string') {
    for (const state of store.folders) {
      const deployment = state.deployments.find((d) => d.id === target);
      if (deployment) return { state, deployment };
    }
    void showMessage('info', `Flowport: no deployment ${target}. Run "Flowport: Refresh".`);
    return undefined;
  }
  const title = verb === 'approve' ? 'Flowport: Approve Deployment' : 'Flowport: Reject Deployment';
  const state = await pickFolder(store, title);
  if (!state) return undefined;
  const result = await ask(store, state, 'approvals', (c) => c.sendRequest(Methods.approvals));
  if (!result) return undefined;
  if (result.requests.length === 0) {
    void showMessage('info', 'Flowport: no deploy waits for approval.');
    return undefined;
  }
  const picked = await pick(
    result.requests.map((r) => requestItem(r, result.me, verb)),
    {
      title,
      placeHolder: `${verb === 'approve' ? 'Approve' : 'Reject'} which deploy (you are ${result.me})`,
      matchOnDescription: true,
    },
  );
  return picked && { state, deployment: picked.request.deployment };
}

function requestItem(
  r: PendingApproval,
  me: string,
  verb: 'approve' | 'reject',
): PickItem & { request: PendingApproval } {
  const d = r.deployment;
  const item = {
    label: r.request.plan
      ? `${d.flowName} → ${d.env}, first of a plan: ${r.request.plan.steps.map((s) => s.flow).join(' → ')}`
      : `${d.flowName} → ${d.env}`,
    description: `${shortCommit(d.commit)} · asked by ${r.request.requestedBy} ${relativeAge(d.createdAt)}`,
    detail: `${r.approvedBy.length} of ${r.request.required} approvals${r.request.expiresAt ? ` · expires ${new Date(r.request.expiresAt).toLocaleString()}` : ''} · ${d.id}`,
    request: r,
  };
  // Listed, and said why, but the host would refuse it: the CLI's rule, seen before picking.
  if (verb === 'approve' && r.request.notInitiator && r.request.requestedBy === me)
    return { ...item, unavailable: 'you asked for it: another identity approves' };
  return item;
}

async function decide(store: FlowportStore, verb: 'approve' | 'reject', target?: EnvItem | string): Promise<boolean> {
  const found = await requestToDecide(store, verb, target);
  if (!found) return false;
  const { state, deployment: d } = found;
  let reason: string | undefined;
  if (verb === 'reject') {
    reason = await input({
      title: `Reject ${d.flowName} → ${d.env} (${shortCommit(d.commit)})`,
      prompt: 'Why? It is recorded with the rejection; the deploy never runs.',
      validateInput: (text) => (text.trim() ? undefined : 'Say why it is rejected.'),
    });
    if (!reason?.trim()) return false;
  }
  const outcome = await ask(store, state, `${verb} ${d.id}`, (c) =>
    verb === 'approve'
      ? c.sendRequest(Methods.approve, { deploymentId: d.id })
      : c.sendRequest(Methods.reject, { deploymentId: d.id, reason: reason!.trim() }),
  );
  await store.refreshDeployments(state);
  if (!outcome) return false;
  void showMessage('info', `Flowport: ${outcome.message}`);
  return true;
}

/** A release as a QuickPick item: its commit and state, then ref, who and when. */
function releaseItem(r: Release): PickItem & { release: Release } {
  const item = {
    label: `${shortCommit(r.commit)} · ${r.state}`,
    description: `${r.ref} · ${r.initiator} · ${relativeAge(r.deployedAt)}${r.rollback ? ' · a rollback' : ''}`,
    detail: r.deploymentId,
    release: r,
  };
  return r.state === 'current' ? { ...item, unavailable: 'runs there now' } : item;
}

async function rollback(
  store: FlowportStore,
  target: EnvItem | FlowItem | string | undefined,
  presetEnv?: string,
  presetTo?: string,
): Promise<number | undefined> {
  if (!vscode.workspace.isTrusted) return undefined;
  await store.ensureLoaded();
  let state: FolderState | undefined;
  let flow: FlowDetails | undefined;
  let env = presetEnv;
  if (target instanceof EnvItem) {
    ({ state, flow } = target);
    env = target.cell.env;
  } else if (target instanceof FlowItem) ({ state, flow } = target);
  else if (typeof target === 'string') ({ state, flow } = store.findFlow(target) ?? {});
  else {
    state = await pickFolder(store, 'Flowport: Roll Back');
    const picked =
      state &&
      (await pick(
        state.flows.map((f) => ({ label: f.name, description: `${f.sourceRelative}:${f.line}`, flow: f })),
        { title: 'Flowport: Roll Back', placeHolder: 'Roll back which flow' },
      ));
    flow = picked?.flow;
  }
  if (!state || !flow) return undefined;
  const flowName = flow.name;
  if (env === undefined) {
    const index = indexDeployments(state.deployments);
    const picked = await pick(
      (state.project?.environments ?? []).map((e) => {
        const releases = index.get(`${flowName}\u0000${e.name}`)?.releases ?? 0;
        return releases >= 2
          ? { label: e.name, description: `${releases} releases` }
          : { label: e.name, unavailable: releases === 1 ? 'one release: nothing earlier' : 'no release there' };
      }),
      { title: `Flowport: Roll Back ${flowName}`, placeHolder: 'In which environment' },
    );
    env = picked?.label;
  }
  if (!env) return undefined;
  let to = presetTo;
  if (to === undefined) {
    const targetEnv = env;
    const releases = await ask(store, state, `releases of ${flowName} in ${env}`, (c) =>
      c.sendRequest(Methods.releases, { flowId: flow.id, env: targetEnv }),
    );
    if (!releases) return undefined;
    const picked = await pick(releases.map(releaseItem), {
      title: `Roll back ${flowName} in ${env} to`,
      placeHolder: 'An earlier release: its commit is deployed again (newest first)',
      matchOnDescription: true,
    });
    if (!picked) return undefined;
    to = picked.release.deploymentId;
  }
  return runTask(store, state, { type: TASK_TYPE, action: 'rollback', flow: flowName, env, to });
}

/** Every deploy that waits (its turn, or an approval), across folders; picking one offers what clears it. */
async function showQueue(store: FlowportStore): Promise<void> {
  await store.ensureLoaded();
  type Item = PickItem & { state: FolderState; deployment: DeploymentDetails };
  const items: Item[] = [];
  for (const state of store.folders) {
    for (const slot of indexDeployments(state.deployments).values()) {
      slot.unfinished.forEach((d, i) => {
        if (i === 0 && !awaitsApproval(d)) return; // the one running: not waiting
        const head = slot.unfinished[0]!;
        items.push({
          label: `${d.flowName} → ${d.env}`,
          description: awaitsApproval(d)
            ? `waiting for approval · ${shortCommit(d.commit)}`
            : `${describeQueueSpot({ place: i + 1, behind: head })} (${head.status}) · ${shortCommit(d.commit)}`,
          detail: `${d.id} · asked by ${d.initiator} ${relativeAge(d.createdAt)}`,
          state,
          deployment: d,
        });
      });
    }
  }
  if (items.length === 0) {
    void showMessage('info', 'Flowport: nothing is queued: no deploy waits for another or for an approval.');
    return;
  }
  const picked = await pick(items, { title: 'Flowport: Queue', placeHolder: 'Deploys waiting, in the order they run' });
  if (!picked) return;
  const d = picked.deployment;
  const actions = awaitsApproval(d) ? ['Approve…', 'Reject…', 'Cancel It'] : ['Cancel It'];
  const answer = await showMessage('info', `${picked.label}: ${picked.description}`, {}, ...actions);
  if (answer === 'Cancel It') await cancelDeployment(store, picked.state, d);
  else if (answer === 'Approve…') await decide(store, 'approve', d.id);
  else if (answer === 'Reject…') await decide(store, 'reject', d.id);
}
