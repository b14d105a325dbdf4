// A type-only import brings no value: a call of the name it imports is not flowport's defineFlow
// (TypeScript would reject it; the finder reads it statically and must not count it either).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { typescriptFlows } from '../../../sdk/src/index.js';
import { tempDir, writeTree } from '../../helpers/tmp.js';

async function flowNames(files: Record<string, string>): Promise<string[]> {
  const root = tempDir();
  writeTree(root, files);
  const flows = await typescriptFlows({ root, cache: false }).findFlows();
  return flows.map((f) => `${f.sourceRelative} ${f.name}`);
}

const call = (callee: string, name: string) => `export const f = ${callee}({ name: '${name}' }, async () => 1);\n`;

test('a call through a type-only import of defineFlow is not a flow; the same call through a value import is', async () => {
  assert.deepEqual(
    await flowNames({
      'value.ts': `import { defineFlow } from 'flowport';\n${call('defineFlow', 'value')}`,
      'type-declaration.ts': `import type { defineFlow } from 'flowport';\n${call('defineFlow', 'type-declaration')}`,
      'type-specifier.ts': `import { type defineFlow } from 'flowport';\n${call('defineFlow', 'type-specifier')}`,
      'type-alias.ts': `import type { defineFlow as df } from 'flowport';\n${call('df', 'type-alias')}`,
      'type-namespace.ts': `import type * as fp from 'flowport';\n${call('fp.defineFlow', 'type-namespace')}`,
      'type-import-equals.ts': `import type fp = require('flowport');\n${call('fp.defineFlow', 'type-import-equals')}`,
      'mixed.ts': `import { type Flow, defineFlow } from 'flowport';\n${call('defineFlow', 'mixed')}`,
    }),
    ['mixed.ts mixed', 'value.ts value'],
  );
});
