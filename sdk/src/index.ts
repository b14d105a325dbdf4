/**
 * `flowport` — the Flowport SDK. Contracts, their default implementations, and the helpers user
 * code and `flowport.config.ts` import.
 */
export * from './model.js';
export * from './errors.js';
export { defineFlow, type Flow, type FlowMeta } from './define-flow.js';
export {
  defineConfig,
  type ApprovalPolicy,
  type ConfigContext,
  type ConfigInput,
  type EnvironmentConfig,
  type FlowportConfig,
  type FlowSourceOptions,
} from './config/define.js';
export {
  output,
  current,
  phase,
  dependenciesOf,
  type BuildPhase,
  type DeployStep,
  type FlowRelease,
  type InputSource,
} from './config/flow-releases.js';
export {
  loadConfig,
  findConfigFile,
  CONFIG_FILE_NAMES,
  type LoadedConfig,
  type LoadConfigOptions,
} from './config/load.js';
export { configTimeoutMs, DEFAULT_CONFIG_TIMEOUT_MS } from './config/settle.js';
export {
  typescriptFlows,
  FlowIndex,
  type TypeScriptFlowsOptions,
  type ScanStats,
  type IndexUpdate,
} from './finder/typescript-flows.js';
export type { CallMarker, NameArgument } from './finder/markers.js';
export type { PresetStatus } from './finder/presets.js';
export { openProject, openFlowSource, type Project, type FlowSource, type ProjectOptions } from './project.js';
export { SDK_VERSION } from './version.js';
export {
  localLedger,
  LocalLedger,
  newDeploymentId,
  type LocalLedgerOptions,
  type LedgerEvent,
} from './backend/ledger.js';
export {
  isDeploymentStore,
  type DeploymentStore,
  type NewDeployment,
  type DeploymentChange,
  type CancelRequest,
  type LogWriter,
  type LogChunk,
} from './backend/store.js';
export * from './backend/records.js';
export { postgresStore, type PostgresStoreConfig } from './backend/postgres/factory.js';
export { PostgresStore, type PostgresStoreOptions } from './backend/postgres/store.js';
export { commandDeployer, CommandDeployer, type CommandDeployerOptions } from './backend/command-deployer.js';
export {
  cleanTree,
  pushed,
  check,
  runChecks,
  overriddenChecksOf,
  withChecksOverride,
  type PreDeployCheck,
  type CheckContext,
  type CheckOutcome,
  type CheckResult,
  type ChecksOverride,
  type CheckedRun,
  type CommandCheckOptions,
} from './backend/checks.js';
export {
  webhook,
  NOTIFY_EVENTS,
  type Notifier,
  type NotifyEvent,
  type WebhookOptions,
  type WebhookTarget,
} from './notify/webhook.js';
export type { NotificationPayload } from './notify/payload.js';
export {
  defaultPromoter,
  DefaultPromoter,
  type DefaultPromoterOptions,
  type PromotePlan,
  type PromotePlanner,
} from './backend/promoter.js';
export { runRecorded, LOG_PREFIX, type ActiveRun, type QueueableRun, type RunOutcome } from './backend/run.js';
export {
  selectFlows,
  deployFlows,
  promoteFlows,
  rollbackFlows,
  GOOD_OUTCOMES,
  type FlowOutcome,
  type FlowRunResult,
} from './backend/batch.js';
export {
  listReleases,
  releasesOf,
  planRollback,
  rollbackOf,
  settingsDigest,
  type Release,
  type ReleaseState,
  type RollbackOf,
  type RollbackPlan,
} from './backend/releases.js';
export {
  foldLocks,
  lockOn,
  describeLock,
  type EnvLock,
  type LockRequest,
  type LockResult,
  type UnlockRequest,
} from './backend/locks.js';
export { bindToProject, type ProjectAware, type ProjectContext } from './backend/context.js';
export { projectBackend, MissingDeployer, type ProjectBackend } from './backend/project-backend.js';
export { resolveVersion, headStatus, type ResolvedVersion, type HeadStatus } from './backend/git.js';
export { commandLine, hintOf, type CommandHint, type HintCommand } from './hint.js';
export type { NestedProject } from './project.js';
export type { UnboundTypeScriptFlows } from './finder/typescript-flows.js';
export { sanitizeTerminalText, escapeJsonControls } from './terminal-text.js';
export { flowNameProblem } from './finder/names.js';
export { starterConfigText, type StarterFlow } from './config/starter.js';
export {
  MASK,
  SECRET_OUTPUTS,
  SEALED_OUTPUTS,
  SecretError,
  SecretMasker,
  isSecretName,
  isSecretOutput,
  maskUrlCredentials,
  displayOutput,
  secretKeyFile,
  sealValue,
  openValue,
  isSealed,
  sealDeployment,
  maskDeployment,
  publicDeployment,
  revealDeployment,
  revealOutput,
  parseOutputLine,
  type OutputLine,
} from './secrets.js';
