/** What a project writes in `flowport.config.ts`, and the helpers that keep it typed. */
import type { DeploymentFinder, Deployer, FlowFinder, Promoter } from '../model.js';
import type { CallMarker, PresetSwitches } from '../finder/markers.js';
import type { PreDeployCheck } from '../backend/checks.js';
import type { Notifier } from '../notify/webhook.js';
import type { FlowRelease } from './flow-releases.js';

/** An environment in promotion order. A bare string is `{ name }`. */
export interface EnvironmentConfig {
  /** Letters, digits, `-` and `_`. */
  name: string;
  /** Deploys and promotes to it ask for a modal confirmation in the editor. */
  protected?: boolean;
  /** Where this environment can be seen; shown as a link. */
  url?: string;
  /**
   * Run before a deploy, promote or rollback to it is recorded (and before any confirmation); a
   * failing one refuses it unless overridden with a reason (`--override-checks "…"`), which the
   * deployment records: `[cleanTree(), pushed(), check({ name: 'tests', command: ['npm', 'test'] })]`.
   */
  checks?: PreDeployCheck[];
  /**
   * Deploys, promotes and rollbacks to it wait for approval (`flowport approve <id>`) before they
   * run: `{ required: 1, notInitiator: true, expiresAfter: '24h' }`.
   */
  approval?: ApprovalPolicy;
  /**
   * Target group → its targets in this environment, for releases deployed as steps: each step runs
   * once per target of its group, with the target as `{target}`: `{ web: ['web-1', 'web-2'], db: ['db-1'] }`.
   */
  targets?: Record<string, string[]>;
}

/** Who must approve a deploy to an environment before it runs. */
export interface ApprovalPolicy {
  /** How many approvals, by distinct identities. Default 1. */
  required?: number;
  /** The identity that asked for the deploy cannot approve it. Default true. */
  notInitiator?: boolean;
  /** A request not decided by then is refused: `'30m'`, `'24h'`, `'7d'`. Default: never. */
  expiresAfter?: string;
}

/** Options of the built-in TypeScript finder, when `flows` is not a finder of your own. */
export interface FlowSourceOptions {
  include?: string[];
  exclude?: string[];
  markers?: CallMarker[];
  /**
   * Presets on everywhere (`true`) or off (`false`), e.g. `{ 'trigger.dev': false }`. A preset not
   * named is on for the files whose nearest `package.json` depends on its framework's package.
   */
  presets?: PresetSwitches;
}

export interface FlowportConfig {
  /** Promotion order: each environment promotes to the next. At least one. */
  environments: Array<string | EnvironmentConfig>;
  /** Where flows come from: the built-in finder's options, or your own {@link FlowFinder}. */
  flows?: FlowSourceOptions | FlowFinder;
  /** Where deployments are recorded: the local ledger by default. */
  deployments?: DeploymentFinder;
  /** How a flow is deployed. */
  deploy?: Deployer;
  /** How a version moves between environments: the default re-deploys the source's commit. */
  promote?: Promoter;
  /** Allow promoting past the next environment (dev → prod). Default false. */
  allowSkippingEnvironments?: boolean;
  /**
   * Who is told of deploys: `[webhook({ url: process.env.DEPLOY_WEBHOOK_URL, events: ['succeeded', 'failed'] })]`.
   * A notification never holds up or fails a deploy; one that cannot be delivered is written to its log.
   */
  notify?: Notifier[];
  /**
   * Flow name → how its release is put together: inputs from other flows' outputs, a build phase,
   * steps on target groups. See {@link FlowRelease}.
   */
  releases?: Record<string, FlowRelease>;
}

/** Passed to a config written as a function. */
export interface ConfigContext {
  /** Absolute path of the project root (the folder holding the config). */
  root: string;
}

export type ConfigInput = FlowportConfig | ((ctx: ConfigContext) => FlowportConfig | Promise<FlowportConfig>);

/** Normalized environments, in promotion order. */
export function environmentsOf(config: FlowportConfig): EnvironmentConfig[] {
  return config.environments.map((e) => (typeof e === 'string' ? { name: e } : e));
}

/** What a config file's default export looks like, for messages that ask for one. */
export const CONFIG_EXAMPLE = 'export default defineConfig({ environments: ["dev", "uat", "prod"] })';

/** Types a config: `export default defineConfig({ environments: ['dev', 'uat', 'prod'] })`. */
export function defineConfig<T extends ConfigInput>(config: T): T {
  return config;
}
