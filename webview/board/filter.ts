/**
 * The board's filter box: whitespace-separated tokens, all of which must match (AND).
 *
 *   name:invoice   flow name contains "invoice"
 *   group:billing  folder contains "billing"
 *   env:prod       an environment whose name starts with "prod" (alone: the flow runs there)
 *   commit:a1b2    a cell's commit starts with "a1b2"
 *   status:fail    a cell's status starts with "fail" (also `status:never`)
 *   invoice        a bare word matches any of the above
 *
 * `env:`, `commit:` and `status:` describe one cell together: `env:prod status:failed` is a flow
 * whose prod deploy failed, not one that failed anywhere and has a prod column.
 * Pure functions, no DOM: unit-tested in Node.
 */

export const FILTER_FIELDS = ['name', 'group', 'env', 'commit', 'status'] as const;
export type FilterField = (typeof FILTER_FIELDS)[number];

export interface FilterTerm {
  /** undefined: a bare word, matched against every field. */
  field?: FilterField;
  /** Lower-cased. */
  value: string;
}

export interface ParsedFilter {
  terms: FilterTerm[];
  /** `foo:` prefixes that are not a field; their tokens are matched as bare words. */
  unknownFields: string[];
}

export function parseFilter(text: string): ParsedFilter {
  const terms: FilterTerm[] = [];
  const unknownFields: string[] = [];
  for (const token of text.toLowerCase().split(/\s+/)) {
    if (!token) continue;
    const colon = token.indexOf(':');
    const prefix = colon > 0 ? token.slice(0, colon) : undefined;
    if (prefix !== undefined && (FILTER_FIELDS as readonly string[]).includes(prefix)) {
      const value = token.slice(colon + 1);
      if (value) terms.push({ field: prefix as FilterField, value });
      continue;
    }
    if (prefix !== undefined) unknownFields.push(prefix);
    terms.push({ value: token });
  }
  return { terms, unknownFields };
}

/** One row as the filter sees it; every string lower-cased. */
export interface SearchableRow {
  name: string;
  group: string;
  cells: readonly SearchableCell[];
}

export interface SearchableCell {
  env: string;
  status: string;
  /** The commit that runs there and the latest attempt's, when they differ. */
  commits: readonly string[];
}

const CELL_FIELDS = new Set<FilterField | undefined>(['env', 'commit', 'status']);

export function matchesFilter(filter: ParsedFilter, row: SearchableRow): boolean {
  const cellTerms = filter.terms.filter((t) => CELL_FIELDS.has(t.field));
  for (const term of filter.terms) {
    if (term.field === 'name' && !row.name.includes(term.value)) return false;
    if (term.field === 'group' && !row.group.includes(term.value)) return false;
    if (term.field === undefined && !matchesWord(term.value, row)) return false;
  }
  if (cellTerms.length === 0) return true;
  const envOnly = cellTerms.every((t) => t.field === 'env');
  return row.cells.some(
    (cell) => cellTerms.every((t) => matchesCell(t, cell)) && (!envOnly || cell.status !== 'never'),
  );
}

function matchesCell(term: FilterTerm, cell: SearchableCell): boolean {
  switch (term.field) {
    case 'env':
      return cell.env.startsWith(term.value);
    case 'status':
      return cell.status.startsWith(term.value);
    case 'commit':
      return cell.commits.some((c) => c.startsWith(term.value));
    default:
      return true;
  }
}

function matchesWord(word: string, row: SearchableRow): boolean {
  return (
    row.name.includes(word) ||
    row.group.includes(word) ||
    row.cells.some(
      (c) => c.env.startsWith(word) || c.status.startsWith(word) || c.commits.some((x) => x.startsWith(word)),
    )
  );
}
