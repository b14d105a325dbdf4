export interface ExpectedFlow {
  name: string;
  file: string;
  line: number;
}
export function makeCorpus(options: {
  out: string;
  files?: number;
  flowEvery?: number;
  seed?: number;
  /** Trigger.dev tasks, package.json files and their decoys (default true). */
  frameworks?: boolean;
  /** One Trigger.dev task file every N files (default: flowEvery). */
  taskEvery?: number;
}): ExpectedFlow[];
