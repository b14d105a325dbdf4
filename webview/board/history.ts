/**
 * The history of one flow in one environment, beside the grid: every deployment, newest first,
 * with its status, commit, who, when and how long, a link to its log and "Redeploy this version".
 */
import { isActiveStatus, relativeAge, shortCommit } from '../../extension/src/model/matrix';
import type { HistoryEntry, HistoryStep, StepStatus } from '../protocol';
import { esc, fullTime } from './cells';
import { button } from './components';

export interface HistoryTarget {
  flowId: string;
  name: string;
  env: string;
}

export interface HistoryActions {
  redeploy(target: HistoryTarget, entry: HistoryEntry): void;
  openLog(target: HistoryTarget, entry: HistoryEntry): void;
  cancel(target: HistoryTarget, entry: HistoryEntry): void;
  /** Roll the flow back to this earlier release there. */
  rollback(target: HistoryTarget, entry: HistoryEntry): void;
  /** Lock the environment (the host asks why). */
  lock(target: HistoryTarget): void;
  close(): void;
}

export function formatDuration(ms: number): string {
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} min ${s % 60} s`;
  return `${Math.floor(m / 60)} h ${m % 60} min`;
}

/**
 * Escaped text in nowrap parts that end at each `/` (and `\\`): a path wraps between folders,
 * never inside a name (`send-invoices` would otherwise break at its hyphen).
 */
export function breakable(text: string): string {
  return text
    .split(/(?<=[/\\])/)
    .map((part) => `<span class="seg">${esc(part)}</span>`)
    .join('<wbr>');
}

const STEP_GLYPHS: Record<StepStatus, string> = {
  pending: '○',
  running: '↻',
  succeeded: '✓',
  failed: '✗',
  cancelled: '⊘',
  skipped: '–',
};

/**
 * A deploy's steps, one line each: its status, name and `group · status n/m`, then its targets,
 * each a glyph and a name (its detail — exit code, how long, why — on hover and for screen readers).
 */
export function stepsHtml(steps: readonly HistoryStep[]): string {
  const items = steps.map((step) => {
    const targets = step.targets
      .map(
        (t) =>
          `<li class="step-target s-${t.status}" title="${esc(`${t.target}: ${t.detail}`)}">` +
          `<span class="glyph" aria-hidden="true">${STEP_GLYPHS[t.status] ?? '?'}</span>${esc(t.target)}` +
          `<span class="visually-hidden">: ${esc(t.detail)}</span></li>`,
      )
      .join('');
    return (
      // The status class on the line, not the item: its targets' glyphs keep their own colours.
      `<li class="step"><div class="step-line s-${step.status}">` +
      `<span class="glyph" aria-hidden="true">${STEP_GLYPHS[step.status] ?? '?'}</span>` +
      `<span class="step-name">${esc(step.name)}</span><span class="muted">${esc(step.summary)}</span></div>` +
      `<ul class="step-targets" aria-label="${esc(`Targets of ${step.name}`)}">${targets}</ul></li>`
    );
  });
  return `<ol class="steps" aria-label="Steps">${items.join('')}</ol>`;
}

export class HistoryPanel {
  readonly element = document.createElement('aside');
  target: HistoryTarget | undefined;
  private readonly heading = document.createElement('h2');
  private readonly body = document.createElement('div');
  private readonly lockButton: HTMLElement;

  constructor(private readonly actions: HistoryActions) {
    this.element.className = 'history';
    this.element.hidden = true;
    this.element.setAttribute('role', 'region');
    this.heading.id = 'history-heading';
    this.element.setAttribute('aria-labelledby', this.heading.id);
    const close = document.createElement('button');
    close.className = 'close';
    close.textContent = '✕';
    close.title = 'Close history (Escape)';
    close.setAttribute('aria-label', 'Close history');
    close.addEventListener('click', () => this.actions.close());
    const header = document.createElement('div');
    header.className = 'history-header';
    this.lockButton = button('Lock…', {
      appearance: 'secondary',
      title: 'Lock this environment: deploys, promotes and rollbacks there are refused until it is unlocked',
      onClick: () => this.target && this.actions.lock(this.target),
    });
    this.lockButton.classList.add('lock-env');
    header.append(this.heading, this.lockButton, close);
    this.body.setAttribute('aria-live', 'polite');
    this.element.append(header, this.body);
  }

  open(target: HistoryTarget): void {
    this.target = target;
    this.heading.textContent = `${target.name} in ${target.env}`;
    this.lockButton.setAttribute('aria-label', `Lock ${target.env}…`);
    this.body.innerHTML = '<p class="muted">Loading history…</p>';
    this.element.hidden = false;
  }

  close(): void {
    this.target = undefined;
    this.element.hidden = true;
  }

  show(entries: readonly HistoryEntry[], now = Date.now()): void {
    const target = this.target;
    if (!target) return;
    if (entries.length === 0) {
      this.body.innerHTML = `<p class="muted">${esc(target.name)} was never deployed to ${esc(target.env)}.</p>`;
      return;
    }
    const list = document.createElement('ol');
    list.className = 'entries';
    list.setAttribute('aria-label', `Deployments of ${target.name} to ${target.env}, newest first`);
    for (const entry of entries) list.append(this.entryElement(target, entry, now));
    this.body.replaceChildren(list);
  }

  private entryElement(target: HistoryTarget, entry: HistoryEntry, now: number): HTMLElement {
    const li = document.createElement('li');
    li.className = 'entry';
    // Each fact is a label and a value; a value (often a path) breaks only after a `/`.
    const facts: [string, string][] = [];
    if (entry.ref !== entry.commit) facts.push(['ref', entry.ref]);
    if (entry.promotedFrom) facts.push(['promoted from', entry.promotedFrom]);
    if (entry.packageVersion) facts.push(['package', `v${entry.packageVersion}`]);
    for (const [k, v] of Object.entries(entry.outputs)) facts.push([k, v]);
    if (entry.rollbackOf) facts.push(['rollback to', entry.rollbackOf]);
    const release =
      entry.release === 'current'
        ? '<span class="release current">current release</span>'
        : entry.release === 'rolled back'
          ? '<span class="release rolled-back">rolled back</span>'
          : '';
    li.innerHTML =
      `<div class="entry-line"><span class="badge s-${entry.status}">${entry.status}</span>${release}` +
      `<code title="${esc(entry.commit)}">${shortCommit(entry.commit)}</code>` +
      (entry.durationMs !== undefined ? `<span class="muted">${formatDuration(entry.durationMs)}</span>` : '') +
      `</div><div class="entry-line muted"><span>${esc(entry.initiator)}</span>` +
      `<span title="${esc(fullTime(entry.createdAt))}">${esc(relativeAge(entry.createdAt, now))}</span>` +
      `<span class="full-time">${esc(fullTime(entry.createdAt))}</span></div>` +
      (entry.steps?.length ? stepsHtml(entry.steps) : '') +
      (facts.length
        ? `<dl class="facts">${facts.map(([k, v]) => `<div class="fact"><dt>${esc(k)}</dt><dd>${breakable(v)}</dd></div>`).join('')}</dl>`
        : '');
    const buttons = document.createElement('div');
    buttons.className = 'entry-actions';
    if (entry.hasLog) {
      const log = document.createElement('button');
      log.className = 'link';
      log.textContent = 'Open log';
      log.setAttribute('aria-label', `Open the log of ${shortCommit(entry.commit)}, ${entry.status}`);
      log.addEventListener('click', () => this.actions.openLog(target, entry));
      buttons.append(log);
    }
    if (isActiveStatus(entry.status)) {
      buttons.append(
        button('Cancel', {
          appearance: 'secondary',
          ariaLabel: `Cancel the deploy of ${shortCommit(entry.commit)} to ${target.env}`,
          title: `Cancel this deploy: its runner stops it`,
          onClick: () => this.actions.cancel(target, entry),
        }),
      );
    }
    // An earlier release (not what runs now): its commit can be deployed again, recorded as a rollback.
    if (entry.release === 'superseded' || entry.release === 'rolled back') {
      buttons.append(
        button('Roll back to this', {
          appearance: 'secondary',
          ariaLabel: `Roll ${target.name} in ${target.env} back to ${shortCommit(entry.commit)}`,
          title: `Redeploy ${entry.commit} to ${target.env}, recorded as a rollback to this release (${entry.id})`,
          onClick: () => this.actions.rollback(target, entry),
        }),
      );
    }
    buttons.append(
      button('Redeploy this version', {
        appearance: 'secondary',
        ariaLabel: `Redeploy ${shortCommit(entry.commit)} to ${target.env}`,
        title: `Deploy ${entry.commit} to ${target.env} again`,
        onClick: () => this.actions.redeploy(target, entry),
      }),
    );
    li.append(buttons);
    return li;
  }
}
