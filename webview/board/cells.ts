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
    `<div role="gridcell" class="gname"><button class="toggle" data-action="toggle" data-col="0" tabindex="-1" ` +
    `aria-expanded="${!collapsed}" data-group="${esc(groupId(folderKey, group.key))}">` +
    `<span class="twistie" aria-hidden="true"></span>${esc(groupLabel(group.key))} ` +
    `<span class="count" data-count>${count}</span></button></div>${groupPromotesHtml(group)}</div>`
  );
}

/**
 * A group's Promote per environment step, after its name: the first environment's column stays
 * empty, and each button spans the arrow's column and its target's, so it sits under the arrows
 * of the rows it promotes. (Replaced alone on a live update: grid.ts.)
 */
export function groupPromotesHtml(group: BoardGroup): string {
  if (group.promotes.length === 0) return '';
  const label = groupLabel(group.key);
  return (
    `<div role="gridcell" class="gp-cell gp-first"></div>` +
    group.promotes
      .map((p, i) => {
        const what = `Promote group ${label} from ${p.from} to ${p.to}`;
        const title = p.reason
          ? `${what}: unavailable. ${p.reason}`
          : `${what}: ${p.names.join(', ')}, in dependency order. The plan is shown before anything runs`;
        const n = p.flowIds.length;
        return (
          `<div role="gridcell" class="gp-cell"><button class="group-promote" data-action="promoteGroup" ` +
          `data-from="${esc(p.from)}" data-to="${esc(p.to)}" ` +
          `data-col="${promoteCol(i)}" tabindex="-1" title="${esc(title)}" aria-label="${esc(title)}"` +
          `${p.reason ? ' aria-disabled="true"' : ''}>` +
          `Promote group ${esc(p.from)} → ${esc(p.to)}` +
          (n ? `<span class="gp-count" aria-hidden="true">${n}</span>` : '') +
          `</button></div>`
        );
      })
      .join('')
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

/**
 * What the row says of its dependencies, for hover and screen readers: `Needs db, cache (reads their
 * outputs)` and `Read by api, web`; empty lines left out.
 */
export function dependencyLines(row: BoardRow): string[] {
  const lines: string[] = [];
  if (row.dependencies.length) lines.push(`Needs ${row.dependencies.join(', ')} (reads their outputs)`);
  if (row.dependents.length) lines.push(`Read by ${row.dependents.join(', ')}`);
  return lines;
}

/** The row's "needs db" marker: the flows it reads outputs of; its dependents on hover. */
function dependencyChipHtml(row: BoardRow): string {
  if (!row.dependencies.length) return '';
  const title = [`${row.name} reads outputs of ${row.dependencies.join(', ')}`, ...dependencyLines(row).slice(1)];
  return (
    `<span class="deps" title="${esc(title.join('\n'))}">${LINK_SVG}<span class="deps-text">needs ` +
    row.dependencies.map((d) => `<span class="dep">${esc(d)}</span>`).join(', ') +
    `</span></span>`
  );
}

export function rowHtml(row: BoardRow, now: number): string {
  const name = esc(row.name);
  const deps = dependencyLines(row);
  const nameTitle = [row.description, row.source, ...deps].filter(Boolean).join('\n');
  const cells = row.cells
    .map(
      (cell, i) =>
        (i > 0 ? promoteHtml(row, row.promotes[i - 1]!, promoteCol(i - 1)) : '') + cellHtml(row, cell, cellCol(i), now),
    )
    .join('');
  return (
    `<div class="row flow" role="row" data-nav-row data-flow="${esc(row.flowId)}" data-name="${name}"` +
    // Hovering the row lights up the rows it needs and the rows that read it (grid.ts).
    (row.dependencies.length ? ` data-needs="${esc(JSON.stringify(row.dependencies))}"` : '') +
    (row.dependents.length ? ` data-read-by="${esc(JSON.stringify(row.dependents))}"` : '') +
    `>` +
    `<div role="rowheader" class="flow-cell">` +
    // The name and its "needs" marker share the first line; the marker gives way first.
    `<span class="name-line"><button class="name" data-action="openFlow" data-col="${COL_NAME}" tabindex="-1" ` +
    `title="${esc(nameTitle)}" ` +
    `aria-label="${esc([`${row.name}, open its source ${row.source}`, ...deps].join('. '))}">${name}</button>` +
    `${dependencyChipHtml(row)}</span>` +
    `<span class="source">${esc(row.source)}</span>` +
    `<button class="deploy" data-action="deploy" data-col="${COL_DEPLOY}" tabindex="-1" ` +
    `aria-label="Deploy ${name}…" title="Deploy ${name} to an environment">Deploy…</button>` +
    `</div>${cells}</div>`
  );
}

/** A lock, for a person: `prod is locked by ann@laptop since …: "freeze"`. */
export function lockText(env: string, lock: NonNullable<BoardCell['lock']>): string {
  const what = lock.flowName === undefined ? env : `${lock.flowName} in ${env}`;
  return `${what} is locked by ${lock.by} since ${fullTime(lock.at)}${lock.reason ? `: "${lock.reason}"` : ''}`;
}

/** A padlock (codicon-like, drawn inline: the webview loads no icon font). */
const LOCK_SVG =
  '<svg class="lock-icon" viewBox="0 0 16 16" width="12" height="12" aria-hidden="true" focusable="false">' +
  '<path fill="currentColor" d="M5 7V5a3 3 0 0 1 6 0v2h1a1 1 0 0 1 1 1v6a1 1 0 0 1-1 1H4a1 1 0 0 1-1-1V8a1 1 0 0 1 1-1h1zm1 0h4V5a2 2 0 0 0-4 0v2z"/></svg>';

/** A shield, for a deploy waiting for approval (drawn inline: no font here has ⛨). */
const SHIELD_SVG =
  '<svg class="shield-icon" viewBox="0 0 16 16" width="12" height="12" aria-hidden="true" focusable="false">' +
  '<path fill="currentColor" d="M8 1l6 2.2V7c0 3.6-2.5 6.6-6 8-3.5-1.4-6-4.4-6-8V3.2L8 1zm0 1.1L3 3.9V7c0 3 2 5.5 5 6.9 3-1.4 5-3.9 5-6.9V3.9L8 2.1z"/></svg>';

/** A chain link, for dependencies: the row's "needs" marker and a Promote a dependency blocks. */
const LINK_SVG =
  '<svg class="link-icon" viewBox="0 0 16 16" width="12" height="12" aria-hidden="true" focusable="false">' +
  '<path fill="none" stroke="currentColor" stroke-width="1.5" stroke-linecap="round" ' +
  'd="M6.5 9.5l3-3M7.5 4.5l1-1a2.5 2.5 0 0 1 3.5 3.5l-1 1M8.5 11.5l-1 1a2.5 2.5 0 0 1-3.5-3.5l1-1"/></svg>';

/** The short end of a deployment id (its random part), for a narrow cell; the whole id is in the title. */
function shortId(id: string): string {
  return id.length > 8 ? `…${id.slice(-6)}` : id;
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
  const queue = cell.queued
    ? `queued, ${ordinalOf(cell.queued.place)} behind ${cell.queued.behind} (${cell.queued.behindStatus})`
    : undefined;
  const awaiting = cell.awaiting
    ? `waiting for approval, asked by ${cell.awaiting.requestedBy}${cell.awaiting.expiresAt ? `, expires ${fullTime(cell.awaiting.expiresAt)}` : ''}`
    : undefined;
  const locked = cell.lock ? lockText(cell.env, cell.lock) : undefined;
  const checkFailed = cell.failedCheck ? failedCheckText(cell.failedCheck) : undefined;
  const needs = cell.needs ? `needs ${cell.needs.flows.join(', ')} here: ${cell.needs.reason}` : undefined;
  for (const note of [awaiting, queue, locked, checkFailed?.long, needs]) if (note) hover.push(note);
  const shownStatus = cell.awaiting ? 'awaiting approval' : status === 'never' ? 'never' : status;
  const label = [
    `${row.name} in ${cell.env}: ${status === 'never' ? 'never deployed' : shownStatus}`,
    locked ?? '',
    checkFailed?.short ?? '',
    awaiting ?? '',
    queue ?? '',
    cell.commit ? `commit ${commit}, ${age} by ${cell.initiator ?? 'unknown'}` : '',
    cell.latest && cell.commit ? `latest attempt ${shortCommit(cell.latest.commit)}` : '',
    behind?.long ?? '',
    needs ?? '',
    'show history',
  ]
    .filter(Boolean)
    .join(', ');
  return (
    `<div role="gridcell" class="env-cell">` +
    `<button class="cell s-${status}" data-action="cell" data-env="${esc(cell.env)}" data-col="${col}" tabindex="-1" ` +
    `title="${esc(hover.join('\n'))}" aria-label="${esc(label)}">` +
    `<span class="badge"><span class="glyph" aria-hidden="true">${cell.awaiting ? SHIELD_SVG : GLYPHS[status]}</span>${esc(shownStatus)}</span>` +
    (cell.lock ? `<span class="locked">${LOCK_SVG}locked</span>` : '') +
    (checkFailed ? `<span class="check-failed">✗ ${esc(checkFailed.short)}</span>` : '') +
    lineHtml(cell, commit, age, now) +
    (cell.queued
      ? `<span class="queued">${ordinalOf(cell.queued.place)} behind ${esc(shortId(cell.queued.behind))}</span>`
      : '') +
    (behind ? `<span class="behind">${esc(behind.short)}</span>` : '') +
    // Seen where it matters: a version waits to come here, and a dependency holds it back.
    (behind && cell.needs
      ? `<span class="needs">${LINK_SVG}waits for ${esc(cell.needs.flows.join(', '))}</span>`
      : '') +
    `</button>${actionsHtml(row, cell, col)}</div>`
  );
}

/** `check failed: ci status` for the cell; for hover, each check's message and last lines too. */
export function failedCheckText(failed: NonNullable<BoardCell['failedCheck']>): { short: string; long: string } {
  const [first] = failed.checks;
  const more = failed.checks.length - 1;
  const short = `check failed: ${first?.name ?? '?'}${more > 0 ? ` +${more}` : ''}`;
  const lines = failed.checks.flatMap((c) => [`✗ ${c.name}: ${c.message}`, ...c.output.map((l) => `  | ${l}`)]);
  return { short, long: [`${short} (refused ${fullTime(failed.at)}, nothing recorded)`, ...lines].join('\n') };
}

/** 1st, 2nd, 3rd, 4th … 11th, 12th, 13th, 21st. */
export function ordinalOf(n: number): string {
  const tens = n % 100;
  const suffix = tens >= 11 && tens <= 13 ? 'th' : (['th', 'st', 'nd', 'rd'][n % 10] ?? 'th');
  return `${n}${suffix}`;
}

/**
 * The buttons that clear what holds the cell, beside it: Approve and Reject a deploy waiting for
 * approval, Cancel one that runs or waits, Unlock a lock. Each has a column between the cell's and
 * the next Promote's, so ←/→ reach them.
 */
function actionsHtml(row: BoardRow, cell: BoardCell, col: number): string {
  const env = esc(cell.env);
  const buttons: string[] = [];
  const op = (action: string, text: string, what: string, at: number, deployment?: string) =>
    `<button class="op op-${action}" data-action="${action}" data-env="${env}" ` +
    (deployment ? `data-deployment="${esc(deployment)}" ` : '') +
    `data-col="${col + at}" tabindex="-1" title="${esc(what)}" aria-label="${esc(what)}">${text}</button>`;
  if (cell.awaiting) {
    const id = cell.awaiting.deploymentId;
    buttons.push(op('approve', 'Approve', `Approve the deploy of ${row.name} to ${cell.env}`, 0.2, id));
    buttons.push(op('reject', 'Reject', `Reject the deploy of ${row.name} to ${cell.env}`, 0.3, id));
  }
  const cancel = cancelHtml(row, cell, col);
  if (cancel) buttons.push(cancel);
  if (cell.lock) buttons.push(op('unlock', 'Unlock', `Unlock: ${lockText(cell.env, cell.lock)}`, 0.7));
  if (cell.failedCheck) {
    const what = cell.failedCheck.action === 'rollback' ? 'roll back' : cell.failedCheck.action;
    buttons.push(
      op(
        'overrideChecks',
        'Override Checks…',
        `${what} ${row.name} to ${cell.env} anyway, with a reason recorded`,
        0.8,
      ),
      op('rerunChecks', 'Run Checks Again', `Run the checks of ${cell.env} for ${row.name} again`, 0.9),
    );
  }
  if (buttons.length === 0) return '';
  return buttons.length === 1 ? buttons[0]! : `<span class="cell-ops">${buttons.join('')}</span>`;
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
  // What blocks it shows on the arrow itself, not only in its tooltip: a lock, an approval, a queue.
  const mark =
    slot.blockedBy === 'lock'
      ? LOCK_SVG
      : slot.blockedBy === 'approval'
        ? SHIELD_SVG
        : slot.blockedBy === 'queue'
          ? '⋯'
          : slot.blockedBy === 'dependency'
            ? LINK_SVG
            : '';
  return (
    `<div role="gridcell" class="promote-cell">` +
    `<button class="promote${slot.blockedBy ? ` blocked-${slot.blockedBy}` : ''}" data-action="promote" data-from="${esc(slot.from)}" data-to="${esc(slot.to)}" ` +
    `data-col="${col}" tabindex="-1" title="${esc(title)}" aria-label="${esc(title)}"` +
    `${slot.reason ? ' aria-disabled="true"' : ''}>→${mark ? `<span class="blocked-mark" aria-hidden="true">${mark}</span>` : ''}</button></div>`
  );
}
