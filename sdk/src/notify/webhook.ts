/**
 * What a config writes to be told about deploys: `notify: [webhook({ url, events })]`. A target is
 * plain data (no functions): the runner process that sends the notifications never loads the
 * config, so the targets travel to it inside its run spec, as JSON.
 */
import { checkFactoryOptions } from '../config/bind.js';
import { UsageError } from '../errors.js';
import type { RunEvent } from '../runner/life.js';

/** One change in a deploy's life a webhook can be told about: each event the runner tells of. */
export type NotifyEvent = RunEvent['kind'];

// A record over every event, so a new kind of run event must be given its place here.
const EVENT_ORDER: Record<NotifyEvent, number> = {
  queued: 0,
  started: 1,
  succeeded: 2,
  failed: 3,
  cancelled: 4,
  'awaiting-approval': 5,
};

/** What a notification can be sent on, in the order a deploy goes through them. */
export const NOTIFY_EVENTS: readonly NotifyEvent[] = (Object.keys(EVENT_ORDER) as NotifyEvent[]).sort(
  (a, b) => EVENT_ORDER[a] - EVENT_ORDER[b],
);

/** How long one POST may take before it is given up. */
export const DEFAULT_WEBHOOK_TIMEOUT_MS = 5000;
/** Tries after the first one, on a network error, a 5xx or a 429. */
export const DEFAULT_WEBHOOK_RETRIES = 2;
/** The most a config may set: the runner stays up until its notifications are delivered or given up. */
export const MAX_WEBHOOK_TIMEOUT_MS = 60_000;
export const MAX_WEBHOOK_RETRIES = 5;

export interface WebhookOptions {
  /**
   * Where to POST: an `http://` or `https://` URL (a Slack incoming webhook works as it is). It is
   * a secret: read it from the environment (`process.env.DEPLOY_WEBHOOK_URL`); Flowport shows
   * only its scheme and host in logs.
   */
  url: string;
  /** The events to send; default: all of {@link NOTIFY_EVENTS}. */
  events?: NotifyEvent[];
  /** How long one POST may take, in ms. Default 5000; at most 60000. A POST that times out is not tried again. */
  timeoutMs?: number;
  /** How many times a POST is tried again after a network error, a 5xx or a 429 (with backoff). Default 2; at most 5. */
  retries?: number;
}

/** A webhook as a config gives it: what {@link webhook} returns (validated when the config loads). */
export interface WebhookTarget extends WebhookOptions {
  type: 'webhook';
}

/** Anything `notify` takes. Only webhooks for now. */
export type Notifier = WebhookTarget;

/** The option names, for the factory's check and the config's validation. */
export const WEBHOOK_OPTIONS = ['url', 'events', 'timeoutMs', 'retries'] as const;

const EXAMPLE = "notify: [webhook({ url: process.env.DEPLOY_WEBHOOK_URL, events: ['succeeded', 'failed'] })]";

/**
 * A webhook notified of deploys: `notify: [webhook({ url, events })]` in `flowport.config.ts`.
 * Each event POSTs JSON with a Slack-compatible `text` and the deploy's fields (flow, env, commit,
 * previousCommit, status, who, durationMs, link). Delivery never holds up or fails a deploy; a
 * failed one is written to the deployment's log. The values are checked as the config loads.
 */
export function webhook(options: WebhookOptions): WebhookTarget {
  // Said before the general check, which would quote the string: a webhook URL is a secret.
  if (typeof options === 'string')
    throw new UsageError(`webhook() takes an options object, not the URL alone: ${EXAMPLE}`);
  checkFactoryOptions('webhook', options, WEBHOOK_OPTIONS, EXAMPLE);
  // A missing or wrong url is reported by the config's validation, at the line of this call.
  const given = (options ?? {}) as Partial<WebhookOptions>;
  return {
    type: 'webhook',
    url: given.url as string,
    ...(given.events === undefined ? {} : { events: Array.isArray(given.events) ? [...given.events] : given.events }),
    ...(given.timeoutMs === undefined ? {} : { timeoutMs: given.timeoutMs }),
    ...(given.retries === undefined ? {} : { retries: given.retries }),
  };
}

/** The scheme and host of `url` (`https://hooks.slack.com`): all of a webhook URL that may be shown. */
export function shownUrl(url: string): string {
  try {
    const parsed = new URL(url);
    return `${parsed.protocol}//${parsed.host}`;
  } catch {
    return '(a URL that does not parse)';
  }
}
