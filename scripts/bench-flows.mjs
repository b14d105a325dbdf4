#!/usr/bin/env node
// Flow discovery benchmark: cold, warm and incremental, medians of several runs, against the
// issue's targets. Every timed run is a real `flowport flows --json` process (wall clock).
//
//   npm run bench:flows -- [--files 4000] [--runs 7] [--corpus DIR] [--check]
//
// The generated corpus holds Trigger.dev tasks in packages whose package.json depends on
// @trigger.dev/sdk, and the other presets' units (BullMQ, Inngest, Mastra, CDK, Temporal) in the
// packages that depend on those, so every preset is on somewhere and its cost is measured. Targets (issue 15), for a
// 4,000-file repository with Trigger.dev presets on:
//   - cold `flowport flows --no-cache` <= 1.5 s, and <= 10x a bare Node process reading the same
//     files (`fs.readFileSync(f, 'utf8')` of each file the finder considers), each cold run
//     paired with the bare run right after it in one interleaved loop;
//   - warm (cache valid) <= 1.5x that bare reader, paired the same way.
//
// --corpus DIR uses an existing corpus (it must hold expected-flows.json) instead of generating
// one with scripts/corpus/make-corpus.mjs. --check exits 1 when a target is missed.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { makeCorpus } from './corpus/make-corpus.mjs';

const root = new URL('..', import.meta.url).pathname;
const cli = join(root, 'sdk/bin/flowport.js');
const { values } = parseArgs({
  options: {
    files: { type: 'string', default: '4000' },
    runs: { type: 'string', default: '7' },
    corpus: { type: 'string' },
    check: { type: 'boolean', default: false },
  },
});
const files = Number(values.files);
const runs = Number(values.runs);

const build = spawnSync(process.execPath, [join(root, 'sdk/build.mjs'), '--no-types'], { stdio: 'inherit' });
if (build.status !== 0) process.exit(1);

const scratch = mkdtempSync(join(tmpdir(), 'flowport-bench-'));
const corpus = values.corpus ?? join(scratch, 'corpus');
if (!values.corpus) makeCorpus({ out: corpus, files });
const expected = JSON.parse(readFileSync(join(corpus, 'expected-flows.json'), 'utf8'));

/** Every file the finder considers, from its cache (format 2: per folder, name + 3 fields per file). */
function consideredFiles() {
  const { folders } = JSON.parse(readFileSync(join(corpus, '.flowport/cache/flows.json'), 'utf8'));
  const files = [];
  for (const [rel, , , flat] of folders) {
    for (let i = 0; i < flat.length; i += 4) files.push(join(corpus, rel, flat[i]));
  }
  return files;
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const fmt = (s) => `${s.toFixed(3)} s`;

function timed(args) {
  const started = process.hrtime.bigint();
  const r = spawnSync(process.execPath, args, { encoding: 'utf8', maxBuffer: 1 << 28 });
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  if (r.status !== 0) throw new Error(`${args.join(' ')} exited ${r.status}: ${r.stderr}`);
  return { seconds, stdout: r.stdout };
}

function flowsRun(extra = []) {
  return timed([cli, 'flows', '--json', '--root', corpus, ...extra]);
}

function checkCorrect(stdout) {
  const found = JSON.parse(stdout).map((f) => `${f.name}|${f.sourceRelative}|${f.line}`);
  const want = expected.map((f) => `${f.name}|${f.file}|${f.line}`);
  const missing = want.filter((x) => !found.includes(x));
  const extra = found.filter((x) => !want.includes(x));
  const byFramework = new Map();
  for (const f of JSON.parse(stdout)) {
    const framework = f.attributes?.framework;
    if (typeof framework === 'string') byFramework.set(framework, (byFramework.get(framework) ?? 0) + 1);
  }
  const frameworks = [...byFramework].map(([name, n]) => `${n} ${name}`).join(', ');
  return { ok: missing.length === 0 && extra.length === 0, missing, extra, count: found.length, frameworks };
}

// The persisted cache is written once, then again after the 2 s in which fresh mtimes are not
// trusted (the cache's own folder is new), as on any run after the first. It also lists the
// files the finder considers, which the bare reader reads.
rmSync(join(corpus, '.flowport'), { recursive: true, force: true });
flowsRun();
await new Promise((resolve) => setTimeout(resolve, 2100));
flowsRun();
const listFile = join(scratch, 'considered.json');
const considered = consideredFiles();
writeFileSync(listFile, JSON.stringify(considered));
const bareReader = `const fs=require('fs');for(const f of JSON.parse(fs.readFileSync(${JSON.stringify(listFile)},'utf8')))fs.readFileSync(f,'utf8');`;

// Cold: no cache read or written (the V8 code cache for the parser is a Node feature, kept), each
// run paired with a bare reader run. One untimed run first: page cache and V8 code cache warm, as
// on a dev machine.
const coldArgs = [cli, 'flows', '--json', '--root', corpus, '--no-cache'];
const firstCold = spawnSync(process.execPath, coldArgs, { encoding: 'utf8', maxBuffer: 1 << 28 });
const presetsSaid = firstCold.stderr
  .split('\n')
  .filter((l) => /preset/i.test(l))
  // "preset bullmq: on for 4 packages, 4 flows": which packages and why are flowport flows' to say.
  .map((l) => l.replace(/ \([^)]*\)/g, '').replace(/; off for .*$/, ''))
  .join('\n                         ');
const cold = [];
const bareCold = [];
let correctness;
for (let i = 0; i < runs; i++) {
  const r = flowsRun(['--no-cache']);
  cold.push(r.seconds);
  bareCold.push(timed(['-e', bareReader]).seconds);
  correctness ??= checkCorrect(r.stdout);
}

// Warm: the persisted cache is valid.
const warm = [];
const bare = [];
for (let i = 0; i < runs; i++) {
  warm.push(flowsRun().seconds);
  bare.push(timed(['-e', bareReader]).seconds);
}

// One file changed on a warm cache: touched (read again, same text: not parsed), then edited
// (parsed, which loads the parser). The file's text is put back afterwards.
const changedFile = join(corpus, expected[0].file);
const originalText = readFileSync(changedFile, 'utf8');
const oneTouched = [];
const oneEdited = [];
try {
  for (let i = 0; i < runs; i++) {
    const t = new Date(Date.now() + (i + 1) * 1000);
    utimesSync(changedFile, t, t);
    oneTouched.push(flowsRun().seconds);
    writeFileSync(changedFile, `${originalText}\n// bench edit ${i}\n`);
    oneEdited.push(flowsRun().seconds);
  }
} finally {
  writeFileSync(changedFile, originalText);
}

// Incremental, in process: FlowIndex.update() for one changed path on a warmed-up index.
const incrementalScript = `
  const { typescriptFlows } = await import(${JSON.stringify(join(root, 'sdk/dist/index.js'))});
  const { readFileSync, writeFileSync } = await import('node:fs');
  const file = ${JSON.stringify(changedFile)};
  const original = readFileSync(file, 'utf8');
  const index = typescriptFlows({ root: ${JSON.stringify(corpus)}, cache: false });
  await index.findFlows();
  await index.warmUp();
  const times = [];
  try {
    for (let i = 0; i < ${Math.max(runs, 11)}; i++) {
      writeFileSync(file, original + '\\n// incremental edit ' + i + '\\n');
      const started = performance.now();
      const { rescanned } = await index.update([file]);
      times.push(performance.now() - started);
      if (rescanned.length !== 1) throw new Error('expected one rescanned file');
    }
  } finally {
    writeFileSync(file, original);
  }
  console.log(JSON.stringify(times));`;
const incremental = JSON.parse(timed(['--input-type=module', '-e', incrementalScript]).stdout);

// A marker without a module, in process, cold: it must not make every file that says "task" a
// candidate (issue 15: 8.3 s against 1.2 s). Alternating with the same scan without the marker.
const modulelessScript = `
  const { typescriptFlows } = await import(${JSON.stringify(join(root, 'sdk/dist/index.js'))});
  const out = { with: [], without: [], parsedWith: 0, parsedWithout: 0 };
  for (let i = 0; i < 3; i++) {
    for (const [key, markers] of [['without', []], ['with', [{ callee: 'task', nameFrom: 'id' }]]]) {
      const index = typescriptFlows({ root: ${JSON.stringify(corpus)}, cache: false, markers });
      await index.findFlows();
      out[key].push(index.lastScan.ms);
      out[key === 'with' ? 'parsedWith' : 'parsedWithout'] = index.lastScan.parsed;
    }
  }
  console.log(JSON.stringify(out));`;
const moduleless = JSON.parse(timed(['--input-type=module', '-e', modulelessScript]).stdout);

rmSync(scratch, { recursive: true, force: true });

// Each warm run is paired with the bare run right after it: this VM's speed drifts by ±20% over
// a minute, which a ratio of two separate medians picks up and a per-pair ratio does not.
const warmOverBare = median(warm.map((w, i) => w / bare[i]));
const coldOverBare = median(cold.map((c, i) => c / bareCold[i]));
const big = files >= 50000;
const targets = {
  cold: big ? 6 : 1.5,
  warm: big ? 1.5 : 0.3,
};
const rows = [
  [
    'corpus',
    `${considered.length} files considered, ${expected.length} expected flows${values.corpus ? ` (${values.corpus})` : ''}`,
  ],
  [
    'correct',
    correctness.ok
      ? `yes (${correctness.count} flows${correctness.frameworks ? `, of them ${correctness.frameworks}` : ''})`
      : `NO: missing ${correctness.missing.slice(0, 3)} extra ${correctness.extra.slice(0, 3)}`,
  ],
  ['presets', presetsSaid || 'none said'],
  ['cold  --no-cache', `${fmt(median(cold))}   target <= ${targets.cold} s`],
  [
    'bare reader (cold)',
    `${fmt(median(bareCold))}   cold/bare = ${coldOverBare.toFixed(2)}x (median of paired runs), target <= 10x`,
  ],
  ['warm  cache valid', `${fmt(median(warm))}   target <= ${targets.warm} s`],
  [
    'bare reader',
    `${fmt(median(bare))}   warm/bare = ${warmOverBare.toFixed(2)}x (median of paired runs; ratio of medians ${(median(warm) / median(bare)).toFixed(2)}x), target <= 1.5x`,
  ],
  ['warm, 1 file touched', `${fmt(median(oneTouched))}   (same text: read again, not parsed)`],
  ['warm, 1 file edited', `${fmt(median(oneEdited))}   (parsed: loads the parser)`],
  ['incremental update', `${median(incremental).toFixed(2)} ms   target <= 20 ms (in process, parser loaded)`],
  [
    "marker { callee: 'task' }",
    `${median(moduleless.with).toFixed(0)} ms, ${moduleless.parsedWith} files parsed; without it ${median(moduleless.without).toFixed(0)} ms, ${moduleless.parsedWithout} parsed (in process, cold)`,
  ],
];
console.log(`\nflowport flows — medians of ${runs} runs (node ${process.version}, ${files} files)`);
for (const [k, v] of rows) console.log(`  ${k.padEnd(22)} ${v}`);

const missed = [
  !correctness.ok && 'correctness',
  median(cold) > targets.cold && 'cold',
  !big && median(warm) > targets.warm && 'warm',
  big && median(warm) > targets.warm && 'warm',
  warmOverBare > 1.5 && 'warm/bare',
  coldOverBare > 10 && 'cold/bare',
  median(incremental) > 20 && 'incremental',
].filter(Boolean);
console.log(missed.length ? `  missed: ${missed.join(', ')}` : '  all targets met');
if (values.check && missed.length) process.exit(1);
