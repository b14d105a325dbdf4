/**
 * Validates a loaded config with valibot and turns the first problem into a {@link ConfigError}
 * at the line of the offending value, with a message that says what to write instead.
 */
import * as v from 'valibot';
import { ConfigError } from '../errors.js';
import { closest } from '../did-you-mean.js';
import { CONFIG_EXAMPLE, environmentsOf, type FlowportConfig } from './define.js';
import { lineOfPath, type ValuePath } from './locate.js';
import { markerProblem, presetSwitchesProblem } from '../finder/markers.js';
import { dependencyCycle, type FlowRelease } from './flow-releases.js';
import { MAX_WEBHOOK_RETRIES, MAX_WEBHOOK_TIMEOUT_MS, NOTIFY_EVENTS } from '../notify/webhook.js';

const isRecord = (x: unknown): x is Record<string, unknown> => typeof x === 'object' && x !== null && !Array.isArray(x);

const hasMethod = (x: unknown, method: string) => isRecord(x) && typeof x[method] === 'function';

/**
 * An object with exactly these keys; `mustBe` is the message for anything else. Messages name
 * their key (`protected must be true or false`), as the path shown before them stops at the
 * object holding it.
 */
function strict<const E extends v.ObjectEntries>(
  entries: E,
  mustBe: v.ErrorMessage<v.CustomIssue>,
  requiredHints: Partial<Record<keyof E, string>> = {},
) {
  const keys = Object.keys(entries);
  const known = `${keys.slice(0, -1).join(', ')} or ${keys.at(-1)}`;
  return v.pipe(
    // valibot takes an array for an object and would only complain about its keys.
    v.custom<Record<string, unknown>>(isRecord, mustBe),
    // Unknown keys come first: a misspelt key (enviroments) would otherwise read as the real one missing.
    v.rawCheck<Record<string, unknown>>(({ dataset, addIssue }) => {
      if (!dataset.typed) return;
      const key = Object.keys(dataset.value).find((k) => !Object.hasOwn(entries, k));
      if (key === undefined) return;
      const near = closest(key, keys);
      addIssue({
        message: `unknown setting ${JSON.stringify(key)}: ${near ? `did you mean ${JSON.stringify(near)}? Expected` : 'expected'} ${known}`,
        path: [{ type: 'object', origin: 'value', input: dataset.value, key, value: dataset.value[key] }],
      });
    }),
    v.object(entries, (issue) => {
      const key = String(issue.path?.at(-1)?.key);
      const hint = requiredHints[key];
      return `${key} is required${hint ? `: ${hint}` : ''}`;
    }),
  );
}

const envName = v.pipe(
  v.string('name must be a string such as "dev"'),
  v.regex(
    /^[A-Za-z0-9_-]+$/,
    (issue) => `environment names may contain only letters, digits, "-" and "_", not ${issue.received}`,
  ),
);

const approvalPolicy = strict(
  {
    required: v.optional(
      v.pipe(
        v.number('approval.required must be a number of approvals such as 1'),
        v.integer('approval.required must be a whole number such as 1'),
        v.minValue(1, 'approval.required must be at least 1'),
      ),
    ),
    notInitiator: v.optional(v.boolean('approval.notInitiator must be true or false')),
    expiresAfter: v.optional(
      v.pipe(
        v.string('approval.expiresAfter must be a duration such as "24h"'),
        v.regex(
          /^[1-9][0-9]*(m|h|d)$/,
          'approval.expiresAfter must be minutes, hours or days such as "30m", "24h", "7d"',
        ),
      ),
    ),
  },
  'approval must be { required?: number, notInitiator?: boolean, expiresAfter?: "24h" }',
);

const CHECKS_EXAMPLE = "[cleanTree(), pushed(), check({ name: 'tests', command: ['npm', 'test'] })]";

/** A check as cleanTree(), pushed() and check() make it, or a project's own: a name and a run(). */
const preDeployCheck = v.custom<object>(
  (x) => isRecord(x) && typeof x.run === 'function' && typeof x.name === 'string' && x.name !== '',
  `each check must be cleanTree(), pushed() or check({ name, command }) (import them from 'flowport'), or an object with a name and a run() method`,
);

const envObject = strict(
  {
    name: envName,
    protected: v.optional(v.boolean('protected must be true or false')),
    url: v.optional(v.string('url must be a string such as "https://dev.example.com"')),
    checks: v.optional(v.array(preDeployCheck, `checks must be an array such as ${CHECKS_EXAMPLE}`)),
    approval: v.optional(approvalPolicy),
    targets: v.optional(
      v.record(
        v.pipe(
          v.string(),
          v.regex(/^[A-Za-z0-9_-]+$/, 'target group names may contain only letters, digits, "-" and "_"'),
        ),
        v.pipe(
          v.array(
            v.pipe(
              v.string('each target must be a string such as "web-1"'),
              v.regex(/^[^\u0000-\u001f\u007f]+$/, 'a target must not be empty or hold control characters'),
            ),
            'each group\'s targets must be an array such as ["web-1", "web-2"]',
          ),
          v.minLength(1, 'a target group needs at least one target, e.g. ["web-1"]'),
        ),
        'targets must map each target group to its targets, e.g. { web: ["web-1", "web-2"], db: ["db-1"] }',
      ),
    ),
  },
  'each environment must be a name like "dev" or { name: "dev", protected?: boolean, url?: string }',
  { name: 'e.g. { name: "prod", protected: true }' },
);

const implementing = (method: string, what: string) =>
  v.custom<object>((x) => hasMethod(x, method), `${what} must be an object with a ${method}() method`);

const flowFinder = implementing('findFlows', 'flows');

const globs = (key: string) =>
  v.array(v.string(`${key} holds globs such as "src/**"`), `${key} must be an array of globs such as ["src/**"]`);

/**
 * A marker's string setting, refused with {@link markerProblem}'s message when it makes the marker
 * unable to match anything (`callee: "a.b.c"`, `nameFrom: ""`), at the setting's own line.
 */
function markerSetting(key: 'callee' | 'module' | 'nameFrom', notString: string) {
  return v.pipe(
    v.string(notString),
    v.check(
      (value) => markerProblem({ callee: 'x', [key]: value }) === undefined,
      (issue) => markerProblem({ callee: 'x', [key]: issue.input }) ?? notString,
    ),
  );
}

const flowOptions = strict(
  {
    include: v.optional(globs('include')),
    exclude: v.optional(globs('exclude')),
    markers: v.optional(
      v.array(
        strict(
          {
            callee: markerSetting(
              'callee',
              'callee must be the name of the function that declares a flow, such as "task"',
            ),
            module: v.optional(
              markerSetting('module', 'module must be the module callee is imported from, such as "@trigger.dev/sdk"'),
            ),
            subpaths: v.optional(v.boolean('subpaths must be true or false')),
            new: v.optional(v.boolean('new must be true (the unit is declared with `new Callee(…)`) or false')),
            // A property's name ("id") or { argument: n }: markerProblem says why another is refused.
            nameFrom: v.optional(
              v.custom<string | { argument: number }>(
                (value) => markerProblem({ callee: 'x', nameFrom: value }) === undefined,
                (issue) =>
                  markerProblem({ callee: 'x', nameFrom: issue.input }) ??
                  'nameFrom must be the property that holds the name, such as "id", or { argument: n }',
              ),
            ),
            kind: v.optional(v.string('kind must be a string')),
          },
          'each marker must be { callee: "task", module?: "@trigger.dev/sdk", nameFrom?: "id" }',
          { callee: 'the function that declares a flow, e.g. { callee: "task", module: "@trigger.dev/sdk" }' },
        ),
        'markers must be an array such as [{ callee: "task", module: "@trigger.dev/sdk" }]',
      ),
    ),
    presets: v.optional(
      v.custom<Record<string, boolean>>(
        (x) => presetSwitchesProblem(x) === undefined,
        (issue) => presetSwitchesProblem(issue.input) ?? 'presets must be an object',
      ),
    ),
  },
  'flows must be a FlowFinder (with a findFlows() method) or { include?, exclude?, markers?, presets? }',
);

/** A webhook URL is a secret (its path is the key): messages name its scheme at most, never the rest. */
const webhookUrl = v.pipe(
  v.string(
    (issue) =>
      `url must be the webhook's http(s) address as a string, not ${issue.received}` +
      (issue.received === 'undefined' ? ': if it is read from an environment variable, set that variable' : ''),
  ),
  v.rawCheck<string>(({ dataset, addIssue }) => {
    if (!dataset.typed) return;
    let scheme: string;
    try {
      scheme = new URL(dataset.value).protocol;
    } catch {
      addIssue({ message: 'url is not a URL (not shown: a webhook URL is a secret); write it as https://host/path' });
      return;
    }
    if (scheme !== 'http:' && scheme !== 'https:')
      addIssue({ message: `url must start with https:// or http://, not ${scheme}//` });
  }),
);

const notifyEvent = v.pipe(
  v.string('each event must be a name such as "succeeded"'),
  v.check(
    (name) => (NOTIFY_EVENTS as readonly string[]).includes(name),
    (issue) => {
      const near = closest(String(issue.input), [...NOTIFY_EVENTS]);
      return `unknown event ${JSON.stringify(issue.input)}: ${near ? `did you mean ${JSON.stringify(near)}? Events are` : 'events are'} ${NOTIFY_EVENTS.join(', ')}`;
    },
  ),
);

const webhookTarget = strict(
  {
    type: v.literal('webhook', 'type must be "webhook": write webhook({ url }) (import { webhook } from \'flowport\')'),
    url: webhookUrl,
    events: v.optional(v.array(notifyEvent, `events must be an array such as ["succeeded", "failed"]`)),
    timeoutMs: v.optional(
      v.pipe(
        v.number('timeoutMs must be a number of milliseconds such as 5000'),
        v.check(
          (ms) => Number.isInteger(ms) && ms >= 1 && ms <= MAX_WEBHOOK_TIMEOUT_MS,
          `timeoutMs must be a whole number of milliseconds from 1 to ${MAX_WEBHOOK_TIMEOUT_MS}`,
        ),
      ),
    ),
    retries: v.optional(
      v.pipe(
        v.number('retries must be a number such as 2'),
        v.check(
          (n) => Number.isInteger(n) && n >= 0 && n <= MAX_WEBHOOK_RETRIES,
          `retries must be a whole number from 0 to ${MAX_WEBHOOK_RETRIES}`,
        ),
      ),
    ),
  },
  "each notify entry must be webhook({ url, events? }) (import { webhook } from 'flowport')",
  {
    url: 'e.g. webhook({ url: process.env.DEPLOY_WEBHOOK_URL })',
    type: "write webhook({ url }) (import { webhook } from 'flowport')",
  },
);

const argv = (key: string, example: string) =>
  v.pipe(
    v.array(
      v.string(`${key} holds strings: the program, then its arguments`),
      `${key} must be an argv array such as ${example}`,
    ),
    v.minLength(1, `${key} must name the program to run, e.g. ${example}`),
  );

const isInputSource = (x: unknown) =>
  isRecord(x) &&
  typeof x.output === 'string' &&
  x.output !== '' &&
  (((x.from === 'output' || x.from === 'current') && typeof x.flow === 'string' && x.flow !== '') ||
    (x.from === 'phase' && x.phase === 'build'));

/** Checked over the record, so the message can name the input (a value's own message cannot see its key). */
const inputSources = v.rawCheck<Record<string, unknown>>(({ dataset, addIssue }) => {
  if (!dataset.typed) return;
  const bad = Object.entries(dataset.value).find(([, source]) => !isInputSource(source));
  if (!bad) return;
  const [key, value] = bad;
  addIssue({
    message: `input ${key} must be output('db', 'url'), current('api').output('version') or phase('build').output('binaryUrl') (import them from 'flowport')`,
    path: [{ type: 'object', origin: 'value', input: dataset.value, key, value }],
  });
});

const INPUT_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

const flowRelease = strict(
  {
    inputs: v.optional(
      v.pipe(
        v.record(
          v.pipe(
            v.string(),
            v.regex(
              INPUT_NAME,
              (issue) => `input names are environment variable names such as DATABASE_URL, not ${issue.received}`,
            ),
          ),
          v.unknown(),
          "inputs must map names to sources, e.g. { DATABASE_URL: output('db', 'url') }",
        ),
        inputSources,
      ),
    ),
    build: v.optional(
      strict(
        {
          command: argv('command', "['node', 'scripts/build.mjs', '{flow}']"),
          timeoutMs: v.optional(
            v.pipe(
              v.number('timeoutMs must be a number of milliseconds'),
              v.minValue(0, 'timeoutMs must be 0 or more'),
            ),
          ),
        },
        "build must be { command: ['node', 'scripts/build.mjs'], timeoutMs?: number }",
        { command: "e.g. { command: ['node', 'scripts/build.mjs', '{flow}'] }" },
      ),
    ),
    steps: v.optional(
      v.pipe(
        v.array(
          strict(
            {
              name: v.pipe(
                v.string('name must be a string such as "migrate"'),
                v.minLength(1, 'name must not be empty'),
              ),
              group: v.pipe(
                v.string('group must be a target group such as "web"'),
                v.regex(/^[A-Za-z0-9_-]+$/, 'group names may contain only letters, digits, "-" and "_"'),
              ),
              command: argv('command', "['ssh', '{target}', 'deploy-api']"),
              parallel: v.optional(
                v.pipe(
                  v.number('parallel must be a number of targets such as 2'),
                  v.integer('parallel must be a whole number such as 2'),
                  v.minValue(1, 'parallel must be at least 1'),
                ),
              ),
            },
            "each step must be { name: 'migrate', group: 'db', command: ['node', 'scripts/migrate.mjs', '{target}'], parallel?: 2 }",
            {
              name: 'e.g. "migrate"',
              group: 'the target group it runs on, e.g. "db"',
              command: "e.g. ['node', 'scripts/migrate.mjs', '{target}']",
            },
          ),
          "steps must be an array such as [{ name: 'migrate', group: 'db', command: [...] }]",
        ),
        v.minLength(1, "steps must list at least one step (or leave steps out to run the deployer's command)"),
      ),
    ),
  },
  "each release must be { inputs?, build?, steps? }, e.g. { inputs: { DATABASE_URL: output('db', 'url') } }",
);

const schema = strict(
  {
    environments: v.pipe(
      v.array(
        // Checked as the kind it is, so a problem inside an object is reported there.
        v.lazy((x) => (typeof x === 'string' ? envName : envObject)),
        'environments must be an array such as ["dev", "uat", "prod"]',
      ),
      v.minLength(1, 'environments must list at least one environment, e.g. ["dev", "uat", "prod"]'),
    ),
    // A finder of your own is taken as it is; anything else must be the built-in finder's options.
    flows: v.optional(v.lazy((x) => (hasMethod(x, 'findFlows') ? flowFinder : flowOptions))),
    deployments: v.optional(implementing('findDeployments', 'deployments')),
    deploy: v.optional(implementing('deploy', 'deploy')),
    promote: v.optional(implementing('promote', 'promote')),
    allowSkippingEnvironments: v.optional(v.boolean('allowSkippingEnvironments must be true or false')),
    notify: v.optional(
      v.array(webhookTarget, 'notify must be an array such as [webhook({ url: process.env.DEPLOY_WEBHOOK_URL })]'),
    ),
    releases: v.optional(
      v.record(
        v.string(),
        flowRelease,
        "releases must map flow names to their release, e.g. { api: { inputs: { DATABASE_URL: output('db', 'url') } } }",
      ),
    ),
  },
  (issue) => `the default export must be the config object, not ${issue.received}: ${CONFIG_EXAMPLE}`,
  { environments: 'list the environments in promotion order, e.g. environments: ["dev", "uat", "prod"]' },
);

export async function validateConfig(value: unknown, file: string, source: string): Promise<FlowportConfig> {
  const result = v.safeParse(schema, value);
  if (!result.success) {
    const issue = result.issues[0];
    const path = (issue.path ?? []).map((item) => item.key as string | number);
    // The message names its own key: the path shown stops at the object holding it.
    const shown = issue.path?.at(-1)?.type === 'object' ? path.slice(0, -1) : path;
    throw new ConfigError(`${formatPath(shown)}${issue.message}`, file, await lineOfPath(source, path));
  }
  const config = result.output as FlowportConfig;
  const seen = new Set<string>();
  for (const [i, env] of environmentsOf(config).entries()) {
    if (seen.has(env.name)) {
      const path = ['environments', i];
      const message = `${formatPath(path)}environment "${env.name}" is listed twice: rename or remove one, names must be unique`;
      throw new ConfigError(message, file, await lineOfPath(source, path));
    }
    seen.add(env.name);
    await refuseSameCheckTwice(env.checks ?? [], ['environments', i], file, source);
  }
  const problem = releasesProblem(config);
  if (problem)
    throw new ConfigError(
      `${formatPath(problem.path)}${problem.message}`,
      file,
      await lineOfPath(source, problem.path),
    );
  return config;
}

const DEPLOY_PLACEHOLDERS = new Set(['flow', 'env', 'commit', 'ref', 'deploymentId']);

/**
 * What the schema cannot see in one value: a dependency cycle, a step on a group some environment
 * has no targets for, two steps of one name, a placeholder naming no input or no earlier step.
 */
function releasesProblem(config: FlowportConfig): { path: ValuePath; message: string } | undefined {
  const releases: Record<string, FlowRelease> = config.releases ?? {};
  const cycle = dependencyCycle(releases);
  if (cycle) {
    const [first, second] = cycle;
    const name = Object.entries(releases[first!]?.inputs ?? {}).find(
      ([, s]) => s.from === 'output' && s.flow === second,
    )?.[0];
    const message =
      cycle.length === 2
        ? `"${first}" takes an output() of itself: read its running deployment with current('${first}').output(…) instead`
        : `the inputs form a cycle ${cycle.join(' → ')}: none of them could be deployed first; remove one of these output() inputs`;
    return { path: ['releases', first!, 'inputs', ...(name ? [name] : [])], message };
  }
  const environments = environmentsOf(config);
  for (const [flow, release] of Object.entries(releases)) {
    const inputs = new Set(Object.keys(release.inputs ?? {}));
    const builtOutputsRead = Object.values(release.inputs ?? {}).some((s) => s.from === 'phase');
    if (builtOutputsRead && !release.build) {
      const name = Object.entries(release.inputs ?? {}).find(([, s]) => s.from === 'phase')![0];
      return {
        path: ['releases', flow, 'inputs', name],
        message: `input ${name} reads phase('build') but "${flow}" has no build: add build: { command: [...] } to its release`,
      };
    }
    const stepNames = new Set<string>();
    for (const [i, step] of (release.steps ?? []).entries()) {
      const path: ValuePath = ['releases', flow, 'steps', i];
      if (stepNames.has(step.name))
        return {
          path: [...path, 'name'],
          message: `two steps are named "${step.name}": step names must be unique within a flow`,
        };
      const missing = environments.find((e) => !e.targets?.[step.group]);
      if (missing)
        return {
          path: [...path, 'group'],
          message: `step "${step.name}" runs on group "${step.group}", but environment "${missing.name}" has no targets for it: add targets: { ${step.group}: ["…"] } to that environment`,
        };
      const unknown = placeholderProblem(step.command, inputs, stepNames, true);
      if (unknown) return { path: [...path, 'command'], message: unknown };
      stepNames.add(step.name);
    }
    if (release.build) {
      const unknown = placeholderProblem(release.build.command, inputs, new Set(), false);
      if (unknown) return { path: ['releases', flow, 'build', 'command'], message: unknown };
    }
  }
  return undefined;
}

/** The first placeholder in `argv` that would be left as it is, said with what may be written instead. */
function placeholderProblem(
  argv: readonly string[],
  inputs: ReadonlySet<string>,
  earlierSteps: ReadonlySet<string>,
  inStep: boolean,
): string | undefined {
  for (const arg of argv) {
    for (const [text, body] of arg.matchAll(/\{([^{}]*)\}/g)) {
      const [kind, name, out] = body!.split(':');
      if (DEPLOY_PLACEHOLDERS.has(body!) || (inStep && body === 'target')) continue;
      if (kind === 'input' && name !== undefined && out === undefined && inputs.has(name)) continue;
      if (kind === 'input')
        return `${text} names no input: the release's inputs are ${[...inputs].join(', ') || '(none)'}`;
      if (inStep && kind === 'step' && name && out && earlierSteps.has(name)) continue;
      if (inStep && kind === 'step')
        return `${text} must be {step:NAME:OUTPUT} naming an earlier step (${[...earlierSteps].join(', ') || 'none before this one'})`;
      return `unknown placeholder ${text}: use {flow} {env} {commit} {ref} {deploymentId} {input:NAME}${inStep ? ' {target} {step:NAME:OUTPUT}' : ''}`;
    }
  }
  return undefined;
}

/** Check names are what results and overrides name: two of one name in an environment could not be told apart. */
async function refuseSameCheckTwice(
  checks: ReadonlyArray<{ name: string }>,
  envPath: ValuePath,
  file: string,
  source: string,
): Promise<void> {
  const names = new Set<string>();
  for (const [j, c] of checks.entries()) {
    if (names.has(c.name)) {
      const path = [...envPath, 'checks', j];
      const message = `${formatPath(path)}two checks are named "${c.name}": give one another name, e.g. check({ name: 'unit tests', command: [...] })`;
      throw new ConfigError(message, file, await lineOfPath(source, path));
    }
    names.add(c.name);
  }
}

/** `environments[1].url: `, or nothing for the top level. */
function formatPath(path: ValuePath): string {
  if (path.length === 0) return '';
  return `${path.map((key, i) => (typeof key === 'number' ? `[${key}]` : i > 0 ? `.${key}` : key)).join('')}: `;
}
