/** What user code writes to declare a flow. The finder reads the literal `meta` statically. */

export interface FlowMeta {
  /** Unique name: a string literal, so the finder can read it without running code. */
  name: string;
  description?: string;
  /** Extra grouping shown beside the folder grouping. */
  group?: string[];
}

export interface Flow<Args extends unknown[], Result> {
  readonly meta: FlowMeta;
  (...args: Args): Promise<Result>;
}

/**
 * Declares a flow: `export const nightly = defineFlow({ name: 'nightly-billing' }, async () => …)`.
 * Returns the handler, callable as before, with its `meta` attached.
 */
export function defineFlow<Args extends unknown[], Result>(
  meta: FlowMeta,
  handler: (...args: Args) => Result | Promise<Result>,
): Flow<Args, Result> {
  const flow = async (...args: Args): Promise<Result> => handler(...args);
  return Object.assign(flow, { meta: Object.freeze({ ...meta }) });
}
