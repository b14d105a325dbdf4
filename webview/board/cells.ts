/**
 * HTML of the grid's rows, as strings: one `innerHTML` builds 500 flows × 5 environments in a few
 * milliseconds, and a row's string doubles as its signature (an unchanged string is not touched
 * on a live update). Every text goes through `esc`.
 */
import { relativeAge, shortCommit } from '../../extension/src/model/matrix';
import type { BoardCell, BoardEnv, BoardFolder, BoardGroup, BoardRow, CellStatus, PromoteSlot } from '../protocol';

export function esc(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

const GLYPHS: Record<CellStatus, string> = {
  succeeded: '✓',
  failed: '✗',
  running: '↻',
  pending: '…',
  queued: '⋯',
  cancelled: '⊘',
  interrupted: '!',
  never: '–',
};

/** Column numbers for keyboard navigation: 0 flow name, 1 Deploy, then cell, promote, cell … */
export const COL_NAME = 0;
export const COL_DEPLOY = 1;
export const cellCol = (envIndex: number): number => 2 + envIndex * 2;
export const promoteCol = (envIndex: number): number => 3 + envIndex * 2;

// One formatter for every cell: `Date#toLocaleString` builds a new one per call, ~50× slower.
const TIME_FORMAT = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'medium' });

export function fullTime(iso: string): string {
  const time = Date.parse(iso);
  return Number.isNaN(time) ? iso : TIME_FORMAT.format(time);
}

export function groupLabel(key: string): string {
  return key || '(root)';
}

const FLOW_MIN_REM = 16;
const ENV_MIN_REM = 8.5;
const PROMOTE_REM = 2.25;

/**
 * `grid-template-columns` for a folder: flow, then each environment with a promote gap between.
 * The minimums are what a cell needs ("✓ succeeded", "a1b2c3d 12m ago", "3 behind dev"): three
 * environments and an open history fit beside VS Code's side bar at 1500 px. Narrower, the grid
 * scrolls sideways under a sticky flow column.
 */
export function gridColumns(envs: readonly BoardEnv[]): string {
  const parts = [`minmax(${FLOW_MIN_REM}rem, 1.3fr)`];
  envs.forEach((_, i) => {
    if (i > 0) parts.push(`${PROMOTE_REM}rem`);
    parts.push(`minmax(${ENV_MIN_REM}rem, 1fr)`);
  });
  return parts.join(' ');
}

/**
 * The grid's own minimum width: the sum of the column minimums. (Not `max-content`: that sizes
 * every flexible column to the widest flow cell's share, ~255 px each, and pushed prod out of view
 * beside an open history.)
 */
export function gridMinWidth(envs: readonly BoardEnv[]): string {
  const n = envs.length;
  return `${FLOW_MIN_REM + n * ENV_MIN_REM + Math.max(0, n - 1) * PROMOTE_REM}rem`;
}

export function headerHtml(folder: BoardFolder): string {
  const heads = folder.envs
    .map(
      (env, i) =>
        (i > 0 ? '<div role="columnheader" class="gap" aria-label="Promote"></div>' : '') +
        `<div role="columnheader" class="env-head">${esc(env.name)}${env.protected ? ' <span class="tag">protected</span>' : ''}</div>`,
    )
    .join('');
  return `<div class="row head" role="row"><div role="columnheader" class="flow-head">Flow</div>${heads}</div>`;
}

export function groupHeaderHtml(folderKey: string, group: BoardGroup, collapsed: boolean): string {
  const count = `${group.rows.length} flow${group.rows.length === 1 ? '' : 's'}`;
  return (
    `<div class="row ghead" role="row" data-nav-row>` +
    `<div role="gridcell" class="span"><button class="toggle" data-action="toggle" data-col="0" tabindex="-1" ` +
    `aria-expanded="${!collapsed}" data-group="${esc(groupId(folderKey, group.key))}">` +
    `<span class="twistie" aria-hidden="true"></span>${esc(groupLabel(group.key))} ` +
    `<span class="count" data-count>${count}</span></button></div></div>`
  );
}

/**
 * A group's id: its folder's URI, a space (a URI string has none), its key. It goes through an
 * HTML attribute (data-group), so no NUL: the parser turns one into U+FFFD, and the toggle's id
 * then named no group (clicks and ←/→ on a group row did nothing).
 */
export function groupId(folderKey: string, groupKey: string): string {
  return `${folderKey} ${groupKey}`;
}

export function rowHtml(row: BoardRow, now: number): string {
  const name = esc(row.name);
  const cells = row.cells
    .map(
      (cell, i) =>
        (i > 0 ? promoteHtml(row, row.promotes[i - 1]!, promoteCol(i - 1)) : '') + cellHtml(row, cell, cellCol(i), now),
    )
    .join('');
  return (
    `<div class="row flow" role="row" data-nav-row data-flow="${esc(row.flowId)}">` +
    `<div role="rowheader" class="flow-cell">` +
    `<button class="name" data-action="openFlow" data-col="${COL_NAME}" tabindex="-1" ` +
    `title="${esc(row.description ? `${row.description}\n${row.source}` : row.source)}" ` +
    `aria-label="${name}, open its source ${esc(row.source)}">${name}</button>` +
    `<span class="source">${esc(row.source)}</span>` +
    `<button class="deploy" data-action="deploy" data-col="${COL_DEPLOY}" tabindex="-1" ` +
    `aria-label="Deploy ${name}…" title="Deploy ${name} to an environment">Deploy…</button>` +
    `</div>${cells}</div>`
  );
}

function cellHtml(row: BoardRow, cell: BoardCell, col: number, now: number): string {
  const status = cell.status;
  const commit = shortCommit(cell.commit);
  const age = cell.deployedAt ? relativeAge(cell.deployedAt, now) : '';
  const behind = behindText(cell);
  const hover: string[] = [];
  if (cell.commit && cell.deployedAt) {
    hover.push(`${commit} deployed by ${cell.initiator ?? 'unknown'}`, fullTime(cell.deployedAt));
  } else hover.push(`${row.name} never ran in ${cell.env}`);
  if (cell.latest) {
    hover.push(
      `Latest attempt: ${status}, ${shortCommit(cell.latest.commit)} by ${cell.latest.initiator}, ${fullTime(cell.latest.at)}`,
    );
  }
  if (behind) hover.push(behind.long);
  const label = [
    `${row.name} in ${cell.env}: ${status === 'never' ? 'never deployed' : status}`,
    cell.commit ? `commit ${commit}, ${age} by ${cell.initiator ?? 'unknown'}` : '',
    cell.latest && cell.commit ? `latest attempt ${shortCommit(cell.latest.commit)}` : '',
    behind?.long ?? '',
    'show history',
  ]
    .filter(Boolean)
    .join(', ');
  return (
    `<div role="gridcell" class="env-cell">` +
    `<button class="cell s-${status}" data-action="cell" data-env="${esc(cell.env)}" data-col="${col}" tabindex="-1" ` +
    `title="${esc(hover.join('\n'))}" aria-label="${esc(label)}">` +
    `<span class="badge"><span class="glyph" aria-hidden="true">${GLYPHS[status]}</span>${status === 'never' ? 'never' : status}</span>` +
    lineHtml(cell, commit, age, now) +
    (behind ? `<span class="behind">${esc(behind.short)}</span>` : '') +
    `</button>${cancelHtml(row, cell, col)}</div>`
  );
}

/**
 * A running deployment's Cancel, beside its cell (a button cannot hold another). Its column is
 * between the cell's and the next Promote's: ←/→ reach it, ↑/↓ from it land on a cell.
 */
function cancelHtml(row: BoardRow, cell: BoardCell, col: number): string {
  if (!cell.running) return '';
  const what = `Cancel the deploy of ${row.name} to ${cell.env}`;
  return (
    `<button class="cancel" data-action="cancel" data-env="${esc(cell.env)}" ` +
    `data-deployment="${esc(cell.running.deploymentId)}" data-col="${col + 0.5}" tabindex="-1" ` +
    `title="${esc(`${what}: its runner stops it`)}" aria-label="${esc(what)}">Cancel</button>`
  );
}

/** What runs there and since when; a flow that never succeeded there shows its latest attempt. */
function lineHtml(cell: BoardCell, commit: string, age: string, now: number): string {
  if (cell.commit) return `<span class="line"><code>${commit}</code><span class="age">${esc(age)}</span></span>`;
  if (!cell.latest) return '';
  const attempt = `${shortCommit(cell.latest.commit)}</code><span class="age">${esc(relativeAge(cell.latest.at, now))}`;
  return `<span class="line"><code class="attempt">${attempt}</span></span>`;
}

/** "3 behind dev" in the cell, "3 commits behind dev" for hover and screen readers. */
export function behindText(cell: BoardCell): { short: string; long: string } | undefined {
  const b = cell.behind;
  if (!b) return undefined;
  const d = b.distance;
  if (!d) return { short: `behind ${b.env}`, long: `${b.env} runs another commit` };
  if (d.behind > 0) {
    const n = `${d.behind} commit${d.behind === 1 ? '' : 's'}`;
    return { short: `${d.behind} behind ${b.env}`, long: `${n} behind ${b.env}` };
  }
  const n = `${d.ahead} commit${d.ahead === 1 ? '' : 's'}`;
  return { short: `${d.ahead} ahead of ${b.env}`, long: `${n} ahead of ${b.env}` };
}

function promoteHtml(row: BoardRow, slot: PromoteSlot, col: number): string {
  const what = `Promote ${row.name} from ${slot.from} to ${slot.to}`;
  const title = slot.reason ? `${what}: unavailable. ${slot.reason}` : `${what} (${shortCommit(slot.commit)})`;
  return (
    `<div role="gridcell" class="promote-cell">` +
    `<button class="promote" data-action="promote" data-from="${esc(slot.from)}" data-to="${esc(slot.to)}" ` +
    `data-col="${col}" tabindex="-1" title="${esc(title)}" aria-label="${esc(title)}"` +
    `${slot.reason ? ' aria-disabled="true"' : ''}>→</button></div>`
  );
}
