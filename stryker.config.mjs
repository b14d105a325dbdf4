// Mutation testing of the SDK's backend and flow finder: `npm run test:mutation` (not part of CI or
// `npm test`; see test/MUTATION.md for the last score and the surviving mutants).
//
//   npm run test:mutation                                         the whole mutate set below
//   npm run test:mutation -- --mutate sdk/src/backend/ledger.ts   one file (or a few, comma-separated)
//
// What the score means. Stryker copies the project into a sandbox, instruments the files below
// (every mutant in the code, switched by an environment variable) and runs the unit tests there.
// Only tests that load sdk/src in their own process can see a mutant: the CLI and SDK-host tests
// spawn the built SDK (sdk/dist, bundled by `node sdk/build.mjs --no-types` from the unmutated
// sources), so a mutant in sdk/src never reaches them. Those tests are therefore left out of
// `tap.testFiles`: the score is that of the tests that drive the backend and the finder in-process
// (real git, real deploy processes, real files), and every mutant they let live is a gap in them.
//
// Runner: the TAP runner runs each test file as `node --import tsx <file>`; node:test prints TAP
// when stdout is not a terminal. With perTest coverage each mutant runs only the test files that
// executed its code in the dry run (the runner's unit is a file, not a single test). Concurrency 1:
// the tests start git and node processes of their own, and the machine has two cores.

import { mkdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

// A test process stopped by a timeout skips its cleanup: its temp folders (git repositories, deploy
// scripts) go to one folder of their own, emptied when a run starts. Outside any git repository, as
// the tests' own temp folders must be. (Read once, by the main Stryker process; the test runners
// inherit the variable.)
const testTmp = join(tmpdir(), 'flowport-mutation');
rmSync(testTmp, { recursive: true, force: true });
mkdirSync(testTmp, { recursive: true });
process.env.TMPDIR = testTmp;

/** @type {import('@stryker-mutator/api/core').PartialStrykerOptions} */
export default {
  packageManager: 'npm',
  plugins: ['@stryker-mutator/tap-runner'],
  testRunner: 'tap',
  tap: {
    testFiles: [
      'test/unit/backend/ledger.test.ts',
      'test/unit/backend/promoter.test.ts',
      'test/unit/backend/command-deployer.test.ts',
      'test/unit/backend/current-state.test.ts',
      'test/unit/backend/preflight.test.ts',
      'test/unit/backend/promote-plan.test.ts',
      'test/unit/backend/in-progress.test.ts',
      'test/unit/backend/batch.test.ts',
      'test/unit/finder/*.test.ts',
    ],
    nodeArgs: ['--import', 'tsx'],
    // Stop a test file at its first failure: a killed mutant then costs one failing test, not the
    // whole file (its temp folders are left in testTmp, and a deploy command it started may run on).
    forceBail: true,
  },
  coverageAnalysis: 'perTest',
  mutate: [
    'sdk/src/backend/**/*.ts',
    'sdk/src/finder/**/*.ts',
    // Declarations and re-exports only: nothing to mutate.
    '!sdk/src/finder/typescript.d.cts',
    '!sdk/src/finder/parser-module.ts',
  ],
  concurrency: 1,
  // A mutant that makes a test wait forever (a deploy that never ends, a cancel never seen) is a
  // timeout, counted as detected: the files' own time × 1.25 + 10 s.
  timeoutMS: 10_000,
  timeoutFactor: 1.25,
  // The sandbox holds what the tests need (sdk with its built dist, test, scripts), not the
  // extension's bundle or the demo.
  ignorePatterns: ['/dist', '/examples', '/extension', '/webview', '/media', '/test-output', '/*.vsix', '/.flowport'],
  tempDirName: 'test-output/stryker-tmp',
  cleanTempDir: 'always',
  reporters: ['clear-text', 'progress', 'html', 'json'],
  htmlReporter: { fileName: 'test-output/mutation/mutation.html' },
  jsonReporter: { fileName: 'test-output/mutation/mutation.json' },
  clearTextReporter: { allowColor: false, logTests: false, reportMutants: true, reportScoreTable: true },
  thresholds: { high: 90, low: 75, break: null },
};
