import assert from 'node:assert/strict';
import { existsSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { flowportErrorKind, loadConfig, type ConfigError } from '../../../sdk/src/index.js';
import { linkSdk, tempDir, writeTree } from '../../helpers/tmp.js';

function project(config: string, name = 'flowport.config.ts'): string {
  const root = tempDir();
  linkSdk(root);
  writeTree(root, { [name]: config });
  return root;
}

async function configError(root: string): Promise<ConfigError> {
  const err = await loadConfig(root).then(
    () => assert.fail('expected a ConfigError'),
    (e: unknown) => e,
  );
  // By kind, as the CLI and the editor do: tsx may load a lazily imported module twice.
  assert.equal(flowportErrorKind(err), 'ConfigError', `not a ConfigError: ${String(err)}`);
  return err as ConfigError;
}

test('a typed config loads, with environments normalized in order', async () => {
  const root = project(
    [
      `import { defineConfig } from 'flowport';`,
      `const envs: string[] = ['dev', 'uat'];`,
      `export default defineConfig({`,
      `  environments: [...envs, { name: 'prod', protected: true }],`,
      `  flows: { exclude: ['scripts/**'] },`,
      `});`,
    ].join('\n'),
  );
  const loaded = await loadConfig(root);
  assert.equal(loaded.file, join(root, 'flowport.config.ts'));
  assert.deepEqual(loaded.environments, [{ name: 'dev' }, { name: 'uat' }, { name: 'prod', protected: true }]);
  assert.deepEqual(loaded.config.flows, { exclude: ['scripts/**'] });
});

test('.mjs and function configs; no config means the defaults', async () => {
  const root = project(
    `export default ({ root }) => ({ environments: [root.length > 0 ? 'only' : 'never'] });\n`,
    'flowport.config.mjs',
  );
  assert.deepEqual((await loadConfig(root)).environments, [{ name: 'only' }]);
  const bare = tempDir();
  const defaults = await loadConfig(bare);
  assert.equal(defaults.file, undefined);
  assert.deepEqual(
    defaults.environments.map((e) => e.name),
    ['dev', 'uat', 'prod'],
  );
});

test('an edited config is reloaded, an unchanged one reuses its compiled module', async () => {
  const root = project(`export default { environments: ['dev'] };\n`);
  assert.deepEqual((await loadConfig(root)).environments, [{ name: 'dev' }]);
  assert.ok(existsSync(join(root, '.flowport/config/manifest.json')));
  writeFileSync(join(root, 'flowport.config.ts'), `export default { environments: ['dev', 'prod'] };\n`);
  assert.deepEqual((await loadConfig(root)).environments, [{ name: 'dev' }, { name: 'prod' }]);
  writeTree(root, {
    'envs.ts': `export const envs = ['a', 'b'];\n`,
    'flowport.config.ts': `import { envs } from './envs';\nexport default { environments: envs };\n`,
  });
  assert.deepEqual(
    (await loadConfig(root)).environments.map((e) => e.name),
    ['a', 'b'],
  );
  writeFileSync(join(root, 'envs.ts'), `export const envs = ['a', 'b', 'c'];\n`);
  assert.deepEqual(
    (await loadConfig(root)).environments.map((e) => e.name),
    ['a', 'b', 'c'],
    'imported file change',
  );
});

test('a file the config imports that throws is named, with its own line', async () => {
  const root = project(
    `import { token } from './config/secrets';\nexport default { environments: ['dev'], note: token };\n`,
  );
  writeTree(root, {
    'config/secrets.ts': `const name = 'DEPLOY_TOKEN';\n\nif (!process.env[name + '_NOT_SET']) throw new Error(\`missing \${name}\`);\nexport const token = 1;\n`,
  });
  const err = await configError(root);
  assert.equal(err.file, join(root, 'config/secrets.ts'));
  assert.equal(err.line, 3);
  assert.match(
    err.message,
    /config\/secrets\.ts:3: threw while loading the config \(flowport\.config\.ts imports it\): missing DEPLOY_TOKEN/,
  );
});

test('the throwing file and line are found under a path with spaces and brackets, through a symlink, whatever the message says', async () => {
  const real = join(tempDir(), 'my proj (copy)');
  linkSdk(real);
  writeTree(real, {
    'flowport.config.ts': `import { check } from './lib/check';\ncheck();\nexport default { environments: ['dev'] };\n`,
    'lib/check.ts': `export function check() {\n  throw new Error('cannot fetch file://fileserver/share/envs.json:1:1');\n}\n`,
  });
  const link = join(tempDir(), 'linked');
  symlinkSync(real, link, 'dir');
  for (const root of [real, link]) {
    const err = await configError(root);
    assert.equal(err.file, join(root, 'lib/check.ts'), root);
    assert.equal(err.line, 2, root);
    assert.match(
      err.message,
      /threw while loading the config \(flowport\.config\.ts imports it\): cannot fetch file:\/\/fileserver/,
    );
  }
});

test('syntax error: file, line and the compiler message', async () => {
  const root = project(`export default {\n  environments: ['dev'],\n  flows: {,\n};\n`);
  const err = await configError(root);
  assert.equal(err.line, 3);
  assert.match(err.message, /flowport\.config\.ts:3: /);
});

test('a config that throws while loading points at the throwing line', async () => {
  const root = project(
    `const x = 1;\nfunction make() {\n  throw new Error('missing DEPLOY_TOKEN');\n}\nexport default make();\n`,
  );
  const err = await configError(root);
  assert.equal(err.line, 3);
  assert.match(err.message, /flowport\.config\.ts:3: threw while loading: missing DEPLOY_TOKEN/);
  assert.doesNotMatch(err.message, /\n\s+at /, 'no stack trace in the message');
});

test('invalid environments are named with their line and what to write', async () => {
  const cases: Array<[string, number, RegExp]> = [
    [`export default {\n  environments: [],\n};\n`, 2, /at least one environment/],
    [`export default {\n  environments: ['dev',\n    'u a t'],\n};\n`, 3, /only letters, digits, "-" and "_"/],
    [`export default {\n  environments: ['dev', 'uat',\n 'dev'],\n};\n`, 3, /"dev" is listed twice/],
    [`export default {\n  environments: 'dev',\n};\n`, 2, /environments must be an array/],
    [`export default {\n  environments: [{ name: 'dev', protected: 'yes' }],\n};\n`, 2, /environments\[0\]: protected/],
    [`export default {\n  environments: ['dev'],\n  enviroments: ['x'],\n};\n`, 3, /unknown setting "enviroments"/],
    [
      `export default {\n  environments: ['dev'],\n  deploy: { run() {} },\n};\n`,
      3,
      /deploy must be an object with a deploy\(\) method/,
    ],
  ];
  for (const [source, line, message] of cases) {
    const err = await configError(project(source));
    assert.match(err.message, message, source);
    assert.equal(err.line, line, `${source}\n→ ${err.message}`);
  }
});

test('an unknown setting is reported before a missing one, with the known key it is close to', async () => {
  const typo = await configError(project(`export default {\n  enviroments: ['dev'],\n};\n`));
  assert.equal(typo.line, 2);
  assert.equal(
    typo.message.slice(typo.file.length + 1),
    '2: unknown setting "enviroments": did you mean "environments"? Expected environments, flows, deployments, deploy, promote, allowSkippingEnvironments, notify or releases',
  );
  const nested = await configError(project(`export default {\n  environments: [{ nmae: 'dev' }],\n};\n`));
  assert.match(
    nested.message,
    /environments\[0\]: unknown setting "nmae": did you mean "name"\? Expected name, protected, url, checks, approval or targets$/,
  );
  const far = await configError(project(`export default {\n  environments: ['dev'],\n  stages: ['x'],\n};\n`));
  assert.match(
    far.message,
    /unknown setting "stages": expected environments, flows/,
    'no suggestion when nothing is close',
  );
});

/** Loads each `[source, line, message]` case as its own project and checks the error. */
async function expectErrors(cases: Array<[string, number, RegExp]>, name = 'flowport.config.ts'): Promise<void> {
  for (const [source, line, message] of cases) {
    const err = await configError(project(source, name));
    assert.match(err.message, message, source);
    assert.equal(err.line, line, `${source}\n→ ${err.message}`);
  }
}

test('a config without environments, or whose default export is not an object, says what to write', async () => {
  const mustBe = /the default export must be the config object, not .*: export default defineConfig\(\{ environments:/;
  await expectErrors([
    [
      `export default {};\n`,
      1,
      /^[^:]+:1: environments is required: list the environments in promotion order, e.g. environments: \["dev", "uat", "prod"\]$/,
    ],
    [`// a list is not a config\nexport default ['dev'];\n`, 2, mustBe],
    [`export default null;\n`, 1, mustBe],
    [`const answer = 42;\nexport default answer;\n`, 1, mustBe],
    [`export default () => 42;\n`, 1, mustBe],
    [
      `export const environments = ['dev'];\n`,
      0,
      /has no default export: add `export default defineConfig\(\{ environments:/,
    ],
  ]);
});

test('an invalid value is reported at its own line, found through the source', async () => {
  await expectErrors([
    // A text search found `dev` in the url first.
    [
      `import { defineConfig } from 'flowport';\nexport default defineConfig({\n  environments: [\n    { name: 'dev', url: 'https://dev.example.com' },\n    'uat',\n    'dev',\n  ],\n});\n`,
      6,
      /environments\[2\]: environment "dev" is listed twice: rename or remove one/,
    ],
    // …and the name in a comment.
    [
      `// 'qa env' is not a valid name\nconst config = {\n  environments: [\n    'qa env',\n  ],\n};\nexport default config;\n`,
      4,
      /environments\[0\]: environment names may contain only letters, digits, "-" and "_", not "qa env"/,
    ],
    [
      `export default {\n  environments: ['dev',\n    42],\n};\n`,
      3,
      /environments\[1\]: each environment must be a name like "dev" or \{ name: "dev"/,
    ],
    [
      `export default defineConfig(() => ({\n  environments: [\n    'dev',\n    { name: 'prod',\n      protected: 'yes' },\n  ],\n}));\nimport { defineConfig } from 'flowport';\n`,
      5,
      /environments\[1\]: protected must be true or false$/,
    ],
    [
      `export default async function () {\n  const token = 1;\n  return {\n    environments: ['dev'],\n    flows: { markers: [{\n      nameform: 'id', callee: 'task' }] },\n  } satisfies object;\n}\n`,
      6,
      /flows\.markers\[0\]: unknown setting "nameform": did you mean "nameFrom"\? Expected callee, module, subpaths, new, nameFrom or kind/,
    ],
    // Past a spread or a variable, the deepest place the source spells out.
    [
      `const more = ['uat'];\nexport default {\n  environments: [...more,\n    'uat'],\n};\n`,
      3,
      /environments\[1\]: environment "uat" is listed twice/,
    ],
    [
      `const envs = ['a b'];\nexport default {\n  allowSkippingEnvironments: true,\n  environments: envs,\n};\n`,
      4,
      /environments\[0\]: environment names/,
    ],
  ]);
  await expectErrors(
    [
      [
        `module.exports = {\n  environments: ['dev'],\n  allowSkippingEnvironments: 'no',\n};\n`,
        3,
        /: allowSkippingEnvironments must be true or false$/,
      ],
    ],
    'flowport.config.js',
  );
});

test('a package that is not installed, or a thrown non-Error, is reported at its line in the config', async () => {
  await expectErrors([
    [
      `import { defineConfig } from 'flowport';\nimport { envs } from 'does-not-exist-pkg/envs';\nexport default defineConfig({ environments: envs });\n`,
      2,
      /flowport\.config\.ts:2: cannot find package "does-not-exist-pkg": install it \(npm install does-not-exist-pkg\) or remove the import$/,
    ],
    [
      `export default () => {\n  if (!process.env.NOPE_TOKEN)\n    throw 'boom';\n  return { environments: ['dev'] };\n};\n`,
      3,
      /flowport\.config\.ts:3: threw while loading: 'boom'$/,
    ],
    [`throw { code: 42 };\n`, 0, /threw while loading: \{ code: 42 \}$/],
    [
      `import { defineConfig } from 'flowpor';\nexport default defineConfig({ environments: ['dev'] });\n`,
      1,
      /flowport\.config\.ts:1: cannot find package "flowpor": did you mean "flowport"\?$/,
    ],
  ]);
  const err = await configError(project(`import 'does-not-exist-pkg';\nexport default { environments: ['dev'] };\n`));
  assert.doesNotMatch(err.message, /\.flowport|\.mjs/, 'no compiled path in the message');
});
