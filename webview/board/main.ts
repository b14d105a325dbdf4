/**
 * The board's webview entry point. It renders what the host sends and sends back only intents
 * (deploy, promote, show history …); the host decides and runs them. Its own state (filter,
 * collapsed groups, scroll, open history) survives hide/show through the webview state API.
 */
import type { BoardEnv, BoardState, HostMessage, WebviewMessage } from '../protocol';
import { button, defineComponents, textField } from './components';
import { DeployDialog } from './deploy-dialog';
import { Grid, type GridAction } from './grid';
import { HistoryPanel, type HistoryTarget } from './history';

interface SavedState {
  filter: string;
  collapsed: string[];
  scrollTop: number;
  history?: HistoryTarget;
}

interface VsCodeApi {
  postMessage(message: WebviewMessage): void;
  getState(): SavedState | undefined;
  setState(state: SavedState): void;
}

declare function acquireVsCodeApi(): VsCodeApi;

const vscode = acquireVsCodeApi();
const saved: SavedState = { filter: '', collapsed: [], scrollTop: 0, ...vscode.getState() };
const post = (message: WebviewMessage) => vscode.postMessage(message);

defineComponents();

let state: BoardState | undefined;
let pendingReveal: string | undefined;
let historyRequest = 0;
/** Flow id → its name and its folder's environments, for the dialog and the history panel. */
let flows = new Map<string, { name: string; envs: BoardEnv[] }>();

const scroller = document.createElement('div');
scroller.className = 'scroller';
const grid = new Grid(
  new Set(saved.collapsed),
  (action, from) => onGridAction(action, from),
  () => save(),
);
const notice = document.createElement('p');
notice.className = 'notice muted';
notice.textContent = 'Loading flows…';
scroller.append(notice, grid.element);

const history = new HistoryPanel({
  redeploy: (target, entry) => post({ type: 'deploy', flowId: target.flowId, env: target.env, ref: entry.commit }),
  openLog: (target, entry) => post({ type: 'openLog', flowId: target.flowId, env: target.env, deploymentId: entry.id }),
  cancel: (target, entry) => post({ type: 'cancel', flowId: target.flowId, env: target.env, deploymentId: entry.id }),
  rollback: (target, entry) =>
    post({ type: 'rollback', flowId: target.flowId, env: target.env, deploymentId: entry.id }),
  lock: (target) => post({ type: 'lock', flowId: target.flowId, env: target.env }),
  close: () => closeHistory(),
});

const dialog = new DeployDialog((choice) => post({ type: 'deploy', ...choice }));

const summary = document.createElement('span');
summary.className = 'summary muted';
summary.setAttribute('role', 'status');
const filter = textField({
  label: 'Filter flows',
  placeholder: 'name: group: env: commit: status: or any word',
  value: saved.filter,
  onInput: (text) => applyFilter(text),
});
filter.element.classList.add('filter');

const foldButtons = [
  button('Expand All', { appearance: 'secondary', onClick: () => grid.setAllCollapsed(false) }),
  button('Collapse All', { appearance: 'secondary', onClick: () => grid.setAllCollapsed(true) }),
];

const toolbar = document.createElement('header');
toolbar.className = 'toolbar';
const title = document.createElement('h1');
title.textContent = 'Flowport Board';
toolbar.append(
  title,
  filter.element,
  summary,
  ...foldButtons,
  button('Refresh', {
    appearance: 'secondary',
    title: 'Reload flows and deployments',
    onClick: () => post({ type: 'refresh' }),
  }),
);

// The shadow at the grid's right edge while columns are out of view to the right.
const overflowHint = document.createElement('div');
overflowHint.className = 'overflow-hint';
overflowHint.setAttribute('aria-hidden', 'true');
overflowHint.hidden = true;
const scrollArea = document.createElement('div');
scrollArea.className = 'scroll-area';
scrollArea.append(scroller, overflowHint);
const updateOverflow = () => {
  const more = scroller.scrollLeft + scroller.clientWidth < scroller.scrollWidth - 1;
  if (overflowHint.hidden === more) overflowHint.hidden = !more;
  scroller.classList.toggle('scrolled-x', scroller.scrollLeft > 0);
};
new ResizeObserver(updateOverflow).observe(scroller);
new ResizeObserver(updateOverflow).observe(grid.element);

const layout = document.createElement('div');
layout.className = 'layout';
layout.append(scrollArea, history.element);
document.body.append(toolbar, layout, dialog.element);

let scrollFrame = 0;
scroller.addEventListener('scroll', () => {
  // The sticky flow column casts a shadow over the cells that scroll under it.
  updateOverflow();
  cancelAnimationFrame(scrollFrame);
  scrollFrame = requestAnimationFrame(() => save());
});

// Escape closes the history from anywhere on the board (the dialog handles its own Escape).
document.addEventListener('keydown', (e) => {
  if (e.key === 'Escape' && history.target && !dialog.element.open) {
    e.preventDefault();
    closeHistory();
  }
});
window.addEventListener('message', (event: MessageEvent<HostMessage>) => onHostMessage(event.data));
// Ages ("3m ago") move on without new data.
setInterval(() => state && grid.update(state), 30_000);
post({ type: 'ready' });

function onHostMessage(message: HostMessage): void {
  switch (message.type) {
    case 'state':
      render(message.state);
      break;
    case 'history':
      if (message.requestId === historyRequest) history.show(message.entries);
      break;
    case 'reveal':
      pendingReveal = message.flowId;
      if (state) revealPending();
      break;
  }
}

/**
 * The scroll position and open history saved before the board was hidden or the window reloaded
 * are applied once flows arrive: after a reload the first state may still be "Loading flows…".
 */
let restorePending = true;

function render(next: BoardState): void {
  state = next;
  flows = new Map();
  for (const folder of next.folders) {
    for (const group of folder.groups)
      for (const row of group.rows) flows.set(row.flowId, { name: row.name, envs: folder.envs });
  }
  notice.hidden = !next.notice;
  notice.textContent = next.notice ?? '';
  grid.update(next);
  applyFilter(filter.value);
  if (restorePending && flows.size > 0) {
    restorePending = false;
    scroller.scrollTop = saved.scrollTop;
    if (saved.history && flows.has(saved.history.flowId)) openHistory(saved.history);
  } else if (history.target) {
    // A deploy may have changed this cell: ask again, so a running entry turns into its result.
    requestHistory(history.target);
  }
  revealPending();
  updateOverflow();
  performance.mark('board:rendered');
}

function applyFilter(text: string): void {
  const { shown, total, unknownFields } = grid.setFilter(text);
  const unknown = unknownFields.length ? ` · unknown field ${unknownFields.map((f) => `${f}:`).join(' ')}` : '';
  // No flows (loading, a broken config, none found): the board says why; no count, nothing to fold.
  summary.textContent =
    total === 0
      ? ''
      : `${shown === total ? `${total}` : `${shown} of ${total}`} flow${total === 1 ? '' : 's'}${unknown}`;
  for (const b of foldButtons) b.hidden = total === 0;
  if (saved.filter !== text) {
    saved.filter = text;
    save();
  }
}

function revealPending(): void {
  const flowId = pendingReveal;
  if (!flowId || !grid.hasFlow(flowId)) return;
  pendingReveal = undefined;
  if (!grid.reveal(flowId)) {
    filter.value = '';
    applyFilter('');
    grid.reveal(flowId);
  }
}

function onGridAction(action: GridAction, from: HTMLElement): void {
  switch (action.action) {
    case 'deploy': {
      const flow = flows.get(action.flowId);
      if (flow) dialog.open({ flowId: action.flowId, name: flow.name }, flow.envs, from);
      break;
    }
    case 'promote':
      post({ type: 'promote', flowId: action.flowId, from: action.from, to: action.to });
      break;
    case 'promoteGroup':
      post({ type: 'promoteGroup', flowIds: action.flowIds, from: action.from, to: action.to });
      break;
    case 'openFlow':
      post({ type: 'openFlow', flowId: action.flowId });
      break;
    case 'cancel':
    case 'approve':
    case 'reject':
      post({ type: action.action, flowId: action.flowId, env: action.env, deploymentId: action.deploymentId });
      break;
    case 'unlock':
    case 'overrideChecks':
    case 'rerunChecks':
      post({ type: action.action, flowId: action.flowId, env: action.env });
      break;
    case 'openConfig':
      post({ type: 'openConfig', folder: action.folder });
      break;
    case 'cell': {
      const flow = flows.get(action.flowId);
      if (flow) openHistory({ flowId: action.flowId, name: flow.name, env: action.env });
      break;
    }
  }
}

function openHistory(target: HistoryTarget): void {
  history.open(target);
  grid.select(target);
  requestHistory(target);
  saved.history = target;
  save();
}

function requestHistory(target: HistoryTarget): void {
  post({ type: 'history', requestId: ++historyRequest, flowId: target.flowId, env: target.env });
}

function closeHistory(): void {
  const target = history.target;
  history.close();
  grid.select(undefined);
  saved.history = undefined;
  save();
  const envIndex = target ? (flows.get(target.flowId)?.envs.findIndex((e) => e.name === target.env) ?? -1) : -1;
  if (target && envIndex >= 0) grid.focusCell(target.flowId, envIndex);
}

function save(): void {
  saved.collapsed = [...grid.collapsed];
  saved.scrollTop = scroller.scrollTop;
  vscode.setState(saved);
}
