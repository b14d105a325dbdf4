/**
 * Following a deployment that a runner carries out, from its record and its log in the store, as
 * `flowport logs -f` does: whoever started it (this window, an earlier one, the CLI). No `vscode`
 * import: the log terminal and the task's re-attach both use it.
 */
import { FINAL_STATUSES, type DeploymentDetails } from '../../../sdk/src/model';
import { isActiveStatus } from '../model/matrix';

/** What following needs from the SDK host; each call may fail while the host restarts. */
export interface FollowSource {
  /** The deployment's record now; undefined when the store no longer has it. */
  deployment(id: string): Promise<DeploymentDetails | undefined>;
  /** Its log from byte `from`, whole lines; null when it has none (yet). */
  log(id: string, from: number): Promise<{ text: string; next: number } | null>;
}

export interface FollowOptions {
  /** Each piece of the log as it is read: whole lines, ending with a newline. */
  onText: (text: string) => void;
  /** Stops following (the view was closed); the deployment goes on. */
  signal?: AbortSignal;
  /** How often the store is read while the deployment runs. */
  pollMs?: number;
  /** Reports a read that failed (the host restarting): following goes on at the next poll. */
  onError?: (err: unknown) => void;
}

/** How many failed reads in a row end the following: the host is gone for good (about a minute). */
const MAX_FAILED_READS = 120;

/**
 * Reads deployment `id`'s log from its start until the deployment has ended, then once more (its
 * last lines are written before its final record). Resolves with the final record, or undefined
 * when following stopped first (aborted, the record gone, the host unreachable).
 */
export async function followDeployment(
  source: FollowSource,
  id: string,
  { onText, signal, pollMs = 250, onError }: FollowOptions,
): Promise<DeploymentDetails | undefined> {
  let offset = 0;
  let failures = 0;
  const readOn = async () => {
    const chunk = await source.log(id, offset);
    if (!chunk) return;
    offset = chunk.next;
    if (chunk.text) onText(chunk.text);
  };
  while (!signal?.aborted) {
    try {
      const d = await source.deployment(id);
      await readOn();
      if (!d) return undefined;
      if (FINAL_STATUSES.includes(d.status)) {
        await readOn();
        return d;
      }
      failures = 0;
    } catch (err) {
      onError?.(err);
      if (++failures >= MAX_FAILED_READS) return undefined;
    }
    await sleep(pollMs, signal);
  }
  return undefined;
}

function sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
}

/** The line that ends a followed log: how the deployment ended, and why when it went wrong. */
export function finalStatusLine(d: DeploymentDetails): string {
  const reason = typeof d.attributes['reason'] === 'string' ? d.attributes['reason'] : undefined;
  const by = typeof d.attributes['cancelledBy'] === 'string' ? d.attributes['cancelledBy'] : undefined;
  const what = `${d.flowName} ${d.commit.slice(0, 12)} in ${d.env}`;
  switch (d.status) {
    case 'succeeded':
      return `${what}: succeeded — deployment ${d.id}`;
    case 'cancelled':
      return `${what}: cancelled${by ? ` by ${by}` : reason ? `: ${reason}` : ''} — deployment ${d.id}`;
    default:
      return `${what}: ${d.status}${reason ? `: ${reason}` : ''} — deployment ${d.id}`;
  }
}

/**
 * Whether a deployment is still to end (pending, waiting its turn, running): its runner may be
 * asked to cancel it, and its log grows.
 */
export function isActive(d: Pick<DeploymentDetails, 'status'> | undefined): boolean {
  return d !== undefined && isActiveStatus(d.status);
}
