/**
 * The grid: folders → collapsible groups → one row per flow, one column per environment, a Promote
 * button between adjacent environments. Keyboard: one tab stop (roving tabindex); arrows move
 * between the buttons of a row and between rows, Home/End, Ctrl+Home/End, PageUp/PageDown; on a
 * group row ←/→ collapse and expand. Live updates replace only the rows whose HTML changed.
 */
import type { BoardRow, BoardState, GroupPromote } from '../protocol';
import {
  groupHeaderHtml,
  groupId,
  groupPromotesHtml,
  gridColumns,
  gridMinWidth,
  headerHtml,
  rowHtml,
  esc,
  cellCol,
} from './cells';
import { matchesFilter, parseFilter, type ParsedFilter, type SearchableRow } from './filter';

export type GridAction =
  | { action: 'deploy'; flowId: string }
  | { action: 'promote'; flowId: string; from: string; to: string }
  | { action: 'promoteGroup'; flowIds: string[]; from: string; to: string }
  | { action: 'cell'; flowId: string; env: string }
  | { action: 'cancel'; flowId: string; env: string; deploymentId: string }
  | { action: 'approve' | 'reject'; flowId: string; env: string; deploymentId: string }
  | { action: 'unlock' | 'overrideChecks' | 'rerunChecks'; flowId: string; env: string }
  | { action: 'openFlow'; flowId: string }
  | { action: 'openConfig'; folder: string };

interface RowEntry {
  el: HTMLElement;
  /** The row's data as JSON and the age bucket it was drawn in: both unchanged, nothing to do. */
  sig: string;
  search: SearchableRow;
  group: string;
}

interface GroupEntry {
  el: HTMLElement;
  /** The group's header row (its name, its Promote buttons). */
  head: HTMLElement;
  count: HTMLElement;
  total: number;
  toggle: HTMLElement;
  /** The header's Promote buttons' HTML: unchanged, nothing to do. */
  promotesHtml: string;
  /** What each of them sends (the flows are not in the DOM: 885 flows × 4 steps of ids slowed the first frame). */
  promotes: GroupPromote[];
}

/** Where the roving tab stop is: a flow row (by id) or a group row (by group id), and a column. */
interface Active {
  row: string;
  col: number;
}

export class Grid {
  readonly element = document.createElement('div');
  private rows = new Map<string, RowEntry>();
  private groups = new Map<string, GroupEntry>();
  private structure = '';
  private filter: ParsedFilter = { terms: [], unknownFields: [] };
  private active: Active | undefined;
  /** The cell whose history is open. */
  private selected: { flowId: string; env: string } | undefined;

  constructor(
    /** Group ids (folder key + group key) that are collapsed; the grid keeps it up to date. */
    readonly collapsed: Set<string>,
    private readonly onAction: (action: GridAction, from: HTMLElement) => void,
    private readonly onLayoutChange: () => void,
  ) {
    this.element.className = 'board';
    this.element.addEventListener('click', (e) => this.onClick(e));
    this.element.addEventListener('keydown', (e) => this.onKey(e));
    this.element.addEventListener('focusin', (e) => this.onFocus(e));
    this.element.addEventListener('mouseover', (e) => this.onHover(e));
    this.element.addEventListener('mouseleave', () => this.lightUpRelated(undefined));
  }

  /** Shows `state`: rebuilt when flows or environments changed, else only changed rows. */
  update(state: BoardState, now = Date.now()): void {
    const structure = structureOf(state);
    if (structure !== this.structure) this.rebuild(state, now, structure);
    else this.patch(state, now);
  }

  private rebuild(state: BoardState, now: number, structure: string): void {
    const hadFocus = this.element.contains(document.activeElement);
    const multi = state.folders.length > 1;
    const html: string[] = [];
    for (const folder of state.folders) {
      html.push(`<section class="folder">`);
      if (multi) html.push(`<h2 class="folder-name">${esc(folder.name)}</h2>`);
      if (folder.configError) html.push(configErrorHtml(folder.key, folder.configError));
      if (folder.problem) html.push(`<p class="problem" role="alert">${esc(folder.problem)}</p>`);
      if (folder.groups.length) {
        html.push(
          `<div class="grid" role="grid" aria-label="${esc(`Flows of ${folder.name} by environment`)}">` +
            headerHtml(folder),
        );
        for (const group of folder.groups) {
          const id = groupId(folder.key, group.key);
          const collapsed = this.collapsed.has(id);
          html.push(
            `<div class="group${collapsed ? ' collapsed' : ''}" role="rowgroup" data-group-id="${esc(id)}">`,
            groupHeaderHtml(folder.key, group, collapsed),
          );
          for (const row of group.rows) html.push(rowHtml(row, now));
          html.push('</div>');
        }
        html.push('</div>');
      }
      html.push('</section>');
    }
    this.element.innerHTML = html.join('');

    // Through the CSSOM: the CSP allows no inline style attributes.
    const grids = this.element.querySelectorAll<HTMLElement>('.grid');
    state.folders
      .filter((f) => f.groups.length)
      .forEach((folder, i) => {
        grids[i]!.style.setProperty('--cols', gridColumns(folder.envs));
        grids[i]!.style.setProperty('--grid-min', gridMinWidth(folder.envs));
      });

    this.rows.clear();
    this.groups.clear();
    const groupEls = this.element.querySelectorAll<HTMLElement>('.group');
    let g = 0;
    for (const folder of state.folders) {
      for (const group of folder.groups) {
        const el = groupEls[g++]!;
        const id = groupId(folder.key, group.key);
        this.groups.set(id, {
          el,
          head: el.querySelector<HTMLElement>('.ghead')!,
          count: el.querySelector<HTMLElement>('[data-count]')!,
          toggle: el.querySelector<HTMLElement>('.toggle')!,
          total: group.rows.length,
          promotesHtml: groupPromotesHtml(group),
          promotes: group.promotes,
        });
        const rowEls = el.querySelectorAll<HTMLElement>('.row.flow');
        group.rows.forEach((row, i) => {
          this.rows.set(row.flowId, {
            el: rowEls[i]!,
            sig: signature(row, now),
            search: searchable(row, group.key),
            group: id,
          });
        });
      }
    }
    this.structure = structure;
    this.applyFilter();
    this.applySelection();
    this.placeTabStop(hadFocus);
  }

  private patch(state: BoardState, now: number): void {
    const focused = document.activeElement;
    let refocus = false;
    const template = document.createElement('template');
    for (const folder of state.folders) {
      for (const group of folder.groups) {
        // A group's Promote buttons follow its flows (what they run where): only they are redrawn.
        const head = this.groups.get(groupId(folder.key, group.key))!;
        const promotes = groupPromotesHtml(group);
        head.promotes = group.promotes;
        if (promotes !== head.promotesHtml) {
          const old = head.head.querySelectorAll('.gp-cell');
          if ([...old].some((el) => el.contains(focused))) refocus = true;
          for (const el of old) el.remove();
          head.head.insertAdjacentHTML('beforeend', promotes);
          head.promotesHtml = promotes;
        }
        for (const row of group.rows) {
          const entry = this.rows.get(row.flowId)!;
          const sig = signature(row, now);
          if (sig === entry.sig) continue;
          template.innerHTML = rowHtml(row, now);
          const el = template.content.firstElementChild as HTMLElement;
          el.hidden = entry.el.hidden;
          if (entry.el.contains(focused)) refocus = true;
          entry.el.replaceWith(el);
          entry.el = el;
          entry.sig = sig;
          entry.search = searchable(row, group.key);
        }
      }
    }
    this.applyFilter();
    this.applySelection();
    this.placeTabStop(refocus);
  }

  /** Marks the cell whose history is open (undefined: none). */
  select(target: { flowId: string; env: string } | undefined): void {
    this.selected = target;
    this.applySelection();
  }

  private applySelection(): void {
    for (const el of this.element.querySelectorAll<HTMLElement>('.cell.selected')) {
      el.classList.remove('selected');
      el.parentElement!.removeAttribute('aria-selected');
    }
    const target = this.selected;
    const row = target && this.rows.get(target.flowId);
    if (!target || !row) return;
    const cell = [...row.el.querySelectorAll<HTMLElement>('.cell')].find((el) => el.dataset['env'] === target.env);
    if (!cell) return;
    cell.classList.add('selected');
    cell.parentElement!.setAttribute('aria-selected', 'true');
  }

  /** Applies the filter box's text; returns how many flows are shown of how many. */
  setFilter(text: string): { shown: number; total: number; unknownFields: string[] } {
    this.filter = parseFilter(text);
    const shown = this.applyFilter();
    if (this.active && !this.targetOf(this.active)) this.placeTabStop(false);
    return { shown, total: this.rows.size, unknownFields: this.filter.unknownFields };
  }

  private applyFilter(): number {
    const filtering = this.filter.terms.length > 0;
    const shownPerGroup = new Map<string, number>();
    let shown = 0;
    for (const entry of this.rows.values()) {
      const match = !filtering || matchesFilter(this.filter, entry.search);
      if (entry.el.hidden === match) entry.el.hidden = !match;
      if (match) {
        shown++;
        shownPerGroup.set(entry.group, (shownPerGroup.get(entry.group) ?? 0) + 1);
      }
    }
    for (const [id, group] of this.groups) {
      const n = shownPerGroup.get(id) ?? 0;
      const hide = filtering && n === 0;
      if (group.el.hidden !== hide) group.el.hidden = hide;
      const flows = `flow${group.total === 1 ? '' : 's'}`;
      const text = filtering ? `${n} of ${group.total} ${flows}` : `${group.total} ${flows}`;
      if (group.count.textContent !== text) group.count.textContent = text;
    }
    return shown;
  }

  setCollapsed(id: string, collapsed: boolean): void {
    const group = this.groups.get(id);
    if (!group) return;
    if (collapsed) this.collapsed.add(id);
    else this.collapsed.delete(id);
    group.el.classList.toggle('collapsed', collapsed);
    group.toggle.setAttribute('aria-expanded', String(!collapsed));
    this.onLayoutChange();
  }

  setAllCollapsed(collapsed: boolean): void {
    for (const id of this.groups.keys()) this.setCollapsed(id, collapsed);
    if (collapsed && this.active && this.rows.has(this.active.row)) {
      this.active = { row: this.rows.get(this.active.row)!.group, col: 0 };
      this.placeTabStop(this.element.contains(document.activeElement));
    }
  }

  /** Expands the flow's group, scrolls to its row and focuses its name. */
  reveal(flowId: string): boolean {
    const entry = this.rows.get(flowId);
    if (!entry) return false;
    this.setCollapsed(entry.group, false);
    if (entry.el.hidden) return false;
    this.active = { row: flowId, col: 0 };
    this.placeTabStop(true);
    entry.el.scrollIntoView({ block: 'center' });
    return true;
  }

  /** Focuses a flow's cell in an environment (after the history panel closes). */
  focusCell(flowId: string, envIndex: number): void {
    this.active = { row: flowId, col: cellCol(envIndex) };
    this.placeTabStop(true);
  }

  hasFlow(flowId: string): boolean {
    return this.rows.has(flowId);
  }

  // ── events ─────────────────────────────────────────────────────────────────────────────────

  private onClick(e: MouseEvent): void {
    const button = (e.target as HTMLElement).closest<HTMLElement>('[data-action]');
    if (!button || !this.element.contains(button)) return;
    const action = button.dataset['action'];
    if (action === 'openConfig') {
      this.onAction({ action, folder: button.dataset['folder']! }, button);
      return;
    }
    if (action === 'toggle') {
      const id = button.dataset['group']!;
      this.setCollapsed(id, !this.collapsed.has(id));
      return;
    }
    if (button.getAttribute('aria-disabled') === 'true') return;
    if (action === 'promoteGroup') {
      const id = button.closest('.ghead')?.querySelector<HTMLElement>('.toggle')?.dataset['group'];
      const { from, to } = button.dataset;
      const promote = this.groups.get(id ?? '')?.promotes.find((p) => p.from === from && p.to === to);
      if (promote?.flowIds.length)
        this.onAction({ action, flowIds: [...promote.flowIds], from: promote.from, to: promote.to }, button);
      return;
    }
    const flowId = button.closest<HTMLElement>('[data-flow]')?.dataset['flow'];
    if (!flowId) return;
    const data = button.dataset;
    if (action === 'deploy' || action === 'openFlow') this.onAction({ action, flowId }, button);
    else if (action === 'promote') this.onAction({ action, flowId, from: data['from']!, to: data['to']! }, button);
    else if (action === 'cell') this.onAction({ action, flowId, env: data['env']! }, button);
    else if (action === 'cancel' || action === 'approve' || action === 'reject')
      this.onAction({ action, flowId, env: data['env']!, deploymentId: data['deployment']! }, button);
    else if (action === 'unlock' || action === 'overrideChecks' || action === 'rerunChecks')
      this.onAction({ action, flowId, env: data['env']! }, button);
  }

  /** The row under the pointer lights up the rows it needs and the rows that read it. */
  private onHover(e: MouseEvent): void {
    const row = (e.target as HTMLElement).closest<HTMLElement>('.row.flow');
    if (row !== this.hovered) this.lightUpRelated(row ?? undefined);
  }

  private hovered: HTMLElement | undefined;

  private lightUpRelated(row: HTMLElement | undefined): void {
    this.hovered = row;
    for (const el of this.element.querySelectorAll<HTMLElement>('.row.flow.needed, .row.flow.reader')) {
      el.classList.remove('needed', 'reader');
    }
    if (!row) return;
    const names = (attr: string) => (row.dataset[attr] ? (JSON.parse(row.dataset[attr]) as string[]) : []);
    const needs = names('needs');
    const readBy = names('readBy');
    if (!needs.length && !readBy.length) return;
    // Flow names are unique within a folder, not across folders: look only in this row's grid.
    for (const other of row.closest('.grid')?.querySelectorAll<HTMLElement>('.row.flow') ?? []) {
      const name = other.dataset['name'] ?? '';
      if (needs.includes(name)) other.classList.add('needed');
      if (readBy.includes(name)) other.classList.add('reader');
    }
  }

  private onFocus(e: FocusEvent): void {
    const target = e.target as HTMLElement;
    const col = target.dataset['col'];
    const row = target.closest<HTMLElement>('[data-nav-row]');
    if (col === undefined || !row) return;
    // A group row's buttons: its toggle names the group.
    const key = row.dataset['flow'] ?? row.querySelector<HTMLElement>('.toggle')?.dataset['group'];
    if (key === undefined) return;
    this.active = { row: key, col: Number(col) };
    this.moveTabStop(target);
  }

  private onKey(e: KeyboardEvent): void {
    const target = e.target as HTMLElement;
    const row = target.closest<HTMLElement>('[data-nav-row]');
    if (!row || target.dataset['col'] === undefined) return;
    const col = Number(target.dataset['col']);
    const group = target.dataset['group'];
    let next: HTMLElement | undefined;
    switch (e.key) {
      case 'ArrowRight':
        if (group !== undefined && this.collapsed.has(group)) this.setCollapsed(group, false);
        else next = sibling(row, col, 1);
        break;
      case 'ArrowLeft':
        if (group !== undefined && !this.collapsed.has(group)) this.setCollapsed(group, true);
        else next = sibling(row, col, -1);
        break;
      case 'ArrowDown':
      case 'ArrowUp':
      case 'PageDown':
      case 'PageUp': {
        const step = e.key === 'ArrowDown' ? 1 : e.key === 'ArrowUp' ? -1 : e.key === 'PageDown' ? 10 : -10;
        const rows = this.navRows();
        const at = rows.indexOf(row);
        const to = rows[Math.max(0, Math.min(rows.length - 1, at + step))];
        if (to) next = inColumn(to, col);
        break;
      }
      case 'Home':
      case 'End': {
        if (e.ctrlKey || e.metaKey) {
          const rows = this.navRows();
          const to = e.key === 'Home' ? rows[0] : rows[rows.length - 1];
          if (to) next = inColumn(to, col);
        } else {
          const all = row.querySelectorAll<HTMLElement>('[data-col]');
          next = e.key === 'Home' ? all[0] : all[all.length - 1];
        }
        break;
      }
      default:
        return;
    }
    e.preventDefault();
    next?.focus();
  }

  /** Rows that can be reached with the keyboard: not filtered out, not inside a collapsed group. */
  private navRows(): HTMLElement[] {
    return [...this.element.querySelectorAll<HTMLElement>('[data-nav-row]')].filter((row) => {
      if (row.hidden) return false;
      const group = row.parentElement!;
      return !group.hidden && (row.classList.contains('ghead') || !group.classList.contains('collapsed'));
    });
  }

  private targetOf(active: Active): HTMLElement | undefined {
    const entry = this.rows.get(active.row);
    if (entry) {
      const group = this.groups.get(entry.group);
      if (entry.el.hidden || group?.el.classList.contains('collapsed')) return undefined;
      return inColumn(entry.el, active.col);
    }
    const group = this.groups.get(active.row);
    return group && !group.el.hidden ? inColumn(group.head, active.col) : undefined;
  }

  /** Gives the roving tab stop to the active element (or the first one), focusing it if asked. */
  private placeTabStop(focus: boolean): void {
    const target =
      (this.active && this.targetOf(this.active)) ??
      this.navRows()[0]?.querySelector<HTMLElement>('[data-col]') ??
      undefined;
    if (!target) return;
    this.moveTabStop(target);
    if (focus) target.focus();
  }

  private moveTabStop(target: HTMLElement): void {
    for (const el of this.element.querySelectorAll<HTMLElement>('[tabindex="0"]')) {
      if (el !== target) el.tabIndex = -1;
    }
    target.tabIndex = 0;
  }
}

/** A broken config: what went wrong, where, and the way to it. Nothing else for the folder. */
function configErrorHtml(folderKey: string, error: { message: string; location: string }): string {
  return (
    `<div class="config-error" role="alert">` +
    `<p class="config-error-title">The Flowport config failed to load: <code>${esc(error.location)}</code></p>` +
    `<pre class="config-error-message">${esc(error.message)}</pre>` +
    `<button class="open-config" data-action="openConfig" data-folder="${esc(folderKey)}" ` +
    `title="${esc(`Open ${error.location}`)}">Open Config</button></div>`
  );
}

/** The button `dir` steps left or right of column `col` in `row`. */
function sibling(row: HTMLElement, col: number, dir: 1 | -1): HTMLElement | undefined {
  const all = [...row.querySelectorAll<HTMLElement>('[data-col]')];
  const at = all.findIndex((el) => Number(el.dataset['col']) === col);
  return all[at + dir];
}

/** The button in column `col` of `row`, or the nearest one left of it (a group row has only 0). */
function inColumn(row: HTMLElement, col: number): HTMLElement | undefined {
  let best: HTMLElement | undefined;
  for (const el of row.querySelectorAll<HTMLElement>('[data-col]')) {
    if (Number(el.dataset['col']) <= col) best = el;
  }
  return best;
}

/** Ages ("3m ago") are redrawn at most every 15 s: rows are compared within one such bucket. */
function signature(row: BoardRow, now: number): string {
  return `${Math.floor(now / 15_000)}${JSON.stringify(row)}`;
}

function searchable(row: BoardRow, group: string): SearchableRow {
  return {
    name: row.name.toLowerCase(),
    group: group.toLowerCase(),
    cells: row.cells.map((c) => ({
      env: c.env.toLowerCase(),
      status: c.status,
      commits: [c.commit, c.latest?.commit].filter((x): x is string => Boolean(x)).map((x) => x.toLowerCase()),
    })),
  };
}

/** What forces a rebuild: folders, environments, groups and the flows in them, in order. */
function structureOf(state: BoardState): string {
  return JSON.stringify(
    state.folders.map((f) => [
      f.key,
      f.name,
      f.problem,
      f.configError,
      f.envs,
      f.groups.map((g) => [g.key, g.rows.map((r) => r.flowId)]),
    ]),
  );
}
