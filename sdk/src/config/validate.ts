/**
 * Validates a loaded config with valibot and turns the first problem into a {@link ConfigError}
 * at the line of the offending value, with a message that says what to write instead.
 */
import * as v from 'valibot';
import { ConfigError } from '../errors.js';
import { environmentsOf, type FlowportConfig } from './define.js';

const ENV_NAME = /^[A-Za-z0-9_-]+$/;

const envName = v.pipe(
  v.string('an environment name must be a string'),
  v.regex(ENV_NAME, 'environment names may contain only letters, digits, "-" and "_"'),
);

const implementing = (method: string, what: string) =>
  v.custom<object>(
    (x) => typeof x === 'object' && x !== null && typeof (x as Record<string, unknown>)[method] === 'function',
    `${what} must be an object with a ${method}() method`,
  );

const schema = v.strictObject(
  {
    environments: v.pipe(
      v.array(
        v.union(
          [envName, v.strictObject({ name: envName, protected: v.optional(v.boolean()), url: v.optional(v.string()) })],
          'each environment must be a name like "dev" or { name: "dev", protected?: boolean, url?: string }',
        ),
        'environments must be an array such as ["dev", "uat", "prod"]',
      ),
      v.minLength(1, 'environments must list at least one environment, e.g. ["dev", "uat", "prod"]'),
    ),
    flows: v.optional(
      v.union(
        [
          implementing('findFlows', 'flows'),
          v.strictObject({
            include: v.optional(v.array(v.string())),
            exclude: v.optional(v.array(v.string())),
            markers: v.optional(
              v.array(
                v.strictObject({
                  callee: v.string(),
                  module: v.optional(v.string()),
                  nameFrom: v.optional(v.string()),
                  kind: v.optional(v.string()),
                }),
              ),
            ),
          }),
        ],
        'flows must be a FlowFinder or { include?, exclude?, markers? }',
      ),
    ),
    deployments: v.optional(implementing('findDeployments', 'deployments')),
    deploy: v.optional(implementing('deploy', 'deploy')),
    promote: v.optional(implementing('promote', 'promote')),
    allowSkippingEnvironments: v.optional(v.boolean('allowSkippingEnvironments must be true or false')),
  },
  (issue) =>
    `unknown setting ${JSON.stringify(issue.input)}: expected environments, flows, deployments, deploy, promote or allowSkippingEnvironments`,
);

export function validateConfig(value: unknown, file: string, source: string): FlowportConfig {
  const result = v.safeParse(schema, value);
  if (!result.success) {
    const issue = result.issues[0];
    const path = v.getDotPath(issue) ?? '';
    const input = issue.input;
    const line = lineOf(source, typeof input === 'string' ? input : (path.split('.')[0] ?? ''));
    throw new ConfigError(`${path ? `${path}: ` : ''}${issue.message}`, file, line);
  }
  const config = result.output as FlowportConfig;
  const seen = new Set<string>();
  for (const env of environmentsOf(config)) {
    if (seen.has(env.name)) {
      throw new ConfigError(
        `environment "${env.name}" is listed twice: each name must be unique`,
        file,
        lineOf(source, env.name, 2),
      );
    }
    seen.add(env.name);
  }
  return config;
}

/** 1-based line of the `nth` occurrence of `needle` as a word in the source, or 1. */
export function lineOf(source: string, needle: string, nth = 1): number {
  if (!needle) return 1;
  const re = new RegExp(`(?<![\\w$])${needle.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}(?![\\w$])`, 'g');
  let m: RegExpExecArray | null = null;
  for (let i = 0; i < nth; i++) {
    m = re.exec(source);
    if (!m) return 1;
  }
  return m ? source.slice(0, m.index).split('\n').length : 1;
}
