/**
 * `flowport` — the Flowport SDK. Contracts, their default implementations, and the helpers user
 * code and `flowport.config.ts` import.
 */
export * from './model.js';
export * from './errors.js';
export { defineFlow, type Flow, type FlowMeta } from './define-flow.js';
export {
  defineConfig,
  type ConfigContext,
  type ConfigInput,
  type EnvironmentConfig,
  type FlowportConfig,
  type FlowSourceOptions,
} from './config/define.js';
export { loadConfig, findConfigFile, CONFIG_FILE_NAMES, type LoadedConfig } from './config/load.js';
export {
  typescriptFlows,
  FlowIndex,
  type TypeScriptFlowsOptions,
  type ScanStats,
  type IndexUpdate,
} from './finder/typescript-flows.js';
export type { CallMarker } from './finder/markers.js';
export { openProject, type Project, type ProjectOptions } from './project.js';
export { SDK_VERSION } from './version.js';
