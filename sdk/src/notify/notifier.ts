/**
 * Sends a run's events to its webhooks, as runClaimed's listener. It never throws, never holds up
 * the run, and never fails it: each POST is bounded by its timeout and a few retries, and what
 * could not be delivered is written to the deployment's log, the URL shown as its scheme and host
 * only (a webhook URL is a secret: its path is the key).
 *
 * Each webhook gets its events one after another, in the order they happened (a chat never reads
 * "succeeded" before "deploying"); different webhooks are sent to independently.
 */
import { LOG_PREFIX, messageOf, type RunEvent, type RunEventListener } from '../runner/life.js';
import type { DeploymentStore } from '../backend/store.js';
import { releasesOf } from '../backend/releases.js';
import { formatMs } from '../runner/command.js';
import { SDK_VERSION } from '../version.js';
import { notificationPayload, type NotificationPayload } from './payload.js';
import {
  DEFAULT_WEBHOOK_RETRIES,
  DEFAULT_WEBHOOK_TIMEOUT_MS,
  NOTIFY_EVENTS,
  shownUrl,
  type WebhookTarget,
} from './webhook.js';

/** A run's notifications: {@link onEvent} for runClaimed, {@link settled} before the process exits. */
export interface RunNotifier {
  /** Hands the event to every webhook that wants it; returns at once. */
  readonly onEvent: RunEventListener;
  /**
   * Settles once every notification handed over so far was delivered or given up (each is
   * bounded by its timeout and retries): a runner awaits it after the outcome is recorded, so the
   * last notification is not cut off by its exit.
   */
  settled(): Promise<void>;
}

/** The first pause before a POST is tried again; it doubles after each try. */
const FIRST_BACKOFF_MS = 500;

/** A notifier for `targets` (none: one that does nothing), reading and logging through `store`. */
export function createNotifier(targets: readonly WebhookTarget[] | undefined, store: DeploymentStore): RunNotifier {
  if (!targets?.length) return { onEvent: () => undefined, settled: () => Promise.resolve() };
  // One chain per webhook: its events in order. Each link catches its own failures.
  const chains = targets.map(() => Promise.resolve());
  const onEvent: RunEventListener = (event) => {
    let payload: Promise<NotificationPayload> | undefined;
    // Built once per event, when the first webhook that wants it is ready to send it.
    const payloadOnce = () => (payload ??= payloadOf(event, store));
    targets.forEach((target, i) => {
      if (!(target.events ?? NOTIFY_EVENTS).includes(event.kind)) return;
      chains[i] = chains[i]!.then(() => deliver(target, event, payloadOnce, store)).catch(() => undefined);
    });
  };
  return { onEvent, settled: () => Promise.all(chains).then(() => undefined) };
}

async function payloadOf(event: RunEvent, store: DeploymentStore): Promise<NotificationPayload> {
  return notificationPayload(event.kind, event.deployment, await previousCommitOf(event, store));
}

/**
 * The commit the environment ran before this deployment: its current release with this
 * deployment left out. A store that cannot say leaves it unknown, never the notification unsent.
 */
async function previousCommitOf(event: RunEvent, store: DeploymentStore): Promise<string | undefined> {
  const d = event.deployment;
  try {
    const history = await store.findDeployments({ flows: [d.flowName], envs: [d.env], history: true });
    const others = history.filter((h) => h.flowName === d.flowName && h.env === d.env && h.id !== d.id);
    return releasesOf(others)[0]?.commit;
  } catch {
    return undefined;
  }
}

async function deliver(
  target: WebhookTarget,
  event: RunEvent,
  payload: () => Promise<NotificationPayload>,
  store: DeploymentStore,
): Promise<void> {
  const body = JSON.stringify(await payload());
  const timeoutMs = target.timeoutMs ?? DEFAULT_WEBHOOK_TIMEOUT_MS;
  const tries = 1 + (target.retries ?? DEFAULT_WEBHOOK_RETRIES);
  let failure: Failure | undefined;
  let tried = 0;
  for (let backoff = FIRST_BACKOFF_MS; tried < tries; backoff *= 2) {
    if (tried > 0) await new Promise((resolve) => setTimeout(resolve, backoff));
    tried++;
    failure = await post(target.url, body, timeoutMs);
    if (!failure?.retry) break;
  }
  if (!failure) return;
  const times = tried > 1 ? ` after ${tried} tries` : '';
  await logLine(
    store,
    event.deployment.id,
    `${LOG_PREFIX} notify: POST ${shownUrl(target.url)} failed: ${hideUrl(failure.why, target.url)}${times} (the ${event.kind} notification was not delivered; the deploy is not affected)`,
  );
}

interface Failure {
  why: string;
  /** Worth another try: the network, a 5xx, a 429. */
  retry: boolean;
}

/** One POST; undefined when it was taken (2xx). */
async function post(url: string, body: string, timeoutMs: number): Promise<Failure | undefined> {
  let response: Response;
  try {
    response = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'user-agent': `flowport/${SDK_VERSION}` },
      body,
      signal: AbortSignal.timeout(timeoutMs),
      // A redirect elsewhere would carry the payload to a host nobody configured.
      redirect: 'manual',
    });
  } catch (err) {
    // A server that took the request and did not answer may have it: sending it again could post it twice.
    if ((err as Error | undefined)?.name === 'TimeoutError')
      return { why: `no answer within ${formatMs(timeoutMs)}`, retry: false };
    return { why: networkReason(err), retry: true };
  }
  // The body is not read: only the status matters, and the connection is freed at once.
  await response.body?.cancel().catch(() => undefined);
  if (response.ok) return undefined;
  let status = `HTTP ${response.status}${response.statusText ? ` ${response.statusText}` : ''}`;
  if (response.status >= 300 && response.status < 400) status += ' (redirects are not followed: give the final URL)';
  return { why: status, retry: response.status === 429 || response.status >= 500 };
}

/** What a fetch error says beneath undici's "fetch failed": the socket's own reason (ECONNREFUSED, …). */
function networkReason(err: unknown): string {
  const cause = (err as { cause?: { code?: unknown; message?: unknown } } | undefined)?.cause;
  if (cause && typeof cause.message === 'string' && cause.message) return cause.message;
  if (cause && typeof cause.code === 'string') return cause.code;
  return messageOf(err);
}

/** `text` with the webhook's URL, and its path and query, replaced by what may be shown of it. */
function hideUrl(text: string, url: string): string {
  let out = text.split(url).join(shownUrl(url));
  try {
    const { pathname, search } = new URL(url);
    for (const secret of [pathname + search, search, pathname])
      if (secret.length > 1) out = out.split(secret).join('/…');
  } catch {
    // nothing of it parses, so nothing of it can be told apart in the text
  }
  return out;
}

/**
 * One line appended to the deployment's log. The run's own writer may be closed already (the
 * last notification goes out after the outcome is recorded), so this opens the log again.
 */
async function logLine(store: DeploymentStore, id: string, line: string): Promise<void> {
  try {
    const log = await store.openLog(id);
    log.line(line);
    await log.close();
  } catch {
    // nowhere to say it: the deploy is what matters
  }
}
