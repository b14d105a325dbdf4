import assert from 'node:assert/strict';
import { test } from 'node:test';
import { matchesFilter, parseFilter, type SearchableRow } from '../../../webview/board/filter.js';

const row = (name: string, group: string, cells: [string, string, string?][]): SearchableRow => ({
  name,
  group,
  cells: cells.map(([env, status, commit]) => ({ env, status, commits: commit ? [commit] : [] })),
});

const invoices = row('send-invoices', 'src/billing', [
  ['dev', 'succeeded', 'a1b2c3d4'],
  ['uat', 'failed', 'ffee0011'],
  ['prod', 'never'],
]);
const reports = row('nightly-report', 'src/reports', [
  ['dev', 'running', 'a1b2c3d4'],
  ['uat', 'never'],
  ['prod', 'never'],
]);

const shown = (text: string) =>
  [invoices, reports].filter((r) => matchesFilter(parseFilter(text), r)).map((r) => r.name);

test('parses field:value tokens and bare words, lower-cased; empty values are ignored', () => {
  assert.deepEqual(parseFilter('  Name:Send   group:BILLING word env: '), {
    terms: [{ field: 'name', value: 'send' }, { field: 'group', value: 'billing' }, { value: 'word' }],
    unknownFields: [],
  });
  assert.deepEqual(parseFilter('owner:ann :x'), {
    terms: [{ value: 'owner:ann' }, { value: ':x' }],
    unknownFields: ['owner'],
  });
  assert.deepEqual(parseFilter(''), { terms: [], unknownFields: [] });
});

test('name: and group: match a part of the name or folder', () => {
  assert.deepEqual(shown('name:invoice'), ['send-invoices']);
  assert.deepEqual(shown('group:src/'), ['send-invoices', 'nightly-report']);
  assert.deepEqual(shown('group:reports'), ['nightly-report']);
});

test('tokens are ANDed', () => {
  assert.deepEqual(shown('group:src name:report'), ['nightly-report']);
  assert.deepEqual(shown('name:invoice group:reports'), []);
});

test('env:, commit: and status: describe one and the same cell', () => {
  assert.deepEqual(shown('status:fail'), ['send-invoices']);
  assert.deepEqual(shown('env:uat status:failed'), ['send-invoices']);
  assert.deepEqual(shown('env:dev status:failed'), [], 'failed in uat, not in dev');
  assert.deepEqual(shown('commit:a1b2'), ['send-invoices', 'nightly-report']);
  assert.deepEqual(shown('commit:a1b2 status:running'), ['nightly-report']);
  assert.deepEqual(shown('env:prod status:never'), ['send-invoices', 'nightly-report']);
});

test('env: alone keeps the flows that run in that environment', () => {
  assert.deepEqual(shown('env:uat'), ['send-invoices']);
  assert.deepEqual(shown('env:prod'), []);
});

test('a bare word matches any field', () => {
  assert.deepEqual(shown('nightly'), ['nightly-report'], 'name');
  assert.deepEqual(shown('billing'), ['send-invoices'], 'group');
  assert.deepEqual(shown('ffee'), ['send-invoices'], 'commit');
  assert.deepEqual(shown('running'), ['nightly-report'], 'status');
  assert.deepEqual(shown('uat'), ['send-invoices', 'nightly-report'], 'environment');
  assert.deepEqual(shown('zzz'), []);
});
