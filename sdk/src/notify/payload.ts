/**
 * The JSON a webhook receives: a Slack-compatible `text` (an incoming webhook posts it as it is)
 * and the same facts as fields for anything else. Built from the deployment as anyone may see it
 * (`publicDeployment`): no output, no secret, no local path.
 */
import type { DeploymentDetails, DeploymentStatus } from '../model.js';
import { formatMs } from '../runner/command.js';
import { publicDeployment } from '../secrets.js';
import type { NotifyEvent } from './webhook.js';

/** What each POST carries. Fields a deployment has no value for are `null`, so the shape never changes. */
export interface NotificationPayload {
  /** One line for a chat (Slack `mrkdwn`: `&`, `<`, `>` escaped; the link as `<url|open>`). */
  text: string;
  event: NotifyEvent;
  deploymentId: string;
  flow: string;
  env: string;
  /** The full commit deployed. */
  commit: string;
  /** The ref it was asked for (`HEAD`, `main`, a tag). */
  ref: string;
  /** What the environment ran before: the commit of its current release before this deployment. */
  previousCommit: string | null;
  status: DeploymentStatus;
  /** Who asked for it. */
  who: string;
  /** How long the deploy command ran, once it ended. */
  durationMs: number | null;
  /** Where the deployed thing can be seen (the deploy's `url` output), when it is a web address. */
  link: string | null;
  promotedFrom: { env: string; deploymentId: string } | null;
  /** When the change this notification is about was recorded (ISO 8601). */
  at: string;
}

/** The payload of `event` for deployment `d`, the environment having run `previousCommit` before it. */
export function notificationPayload(
  event: NotifyEvent,
  d: DeploymentDetails,
  previousCommit: string | undefined,
): NotificationPayload {
  const shown = publicDeployment(d);
  const duration = shown.attributes.durationMs;
  const fields: Omit<NotificationPayload, 'text'> = {
    event,
    deploymentId: shown.id,
    flow: shown.flowName,
    env: shown.env,
    commit: shown.commit,
    ref: shown.ref,
    previousCommit: previousCommit ?? null,
    status: shown.status,
    who: shown.initiator,
    durationMs: typeof duration === 'number' && Number.isFinite(duration) ? duration : null,
    link: webLink(shown.url),
    promotedFrom: shown.promotedFrom ? { ...shown.promotedFrom } : null,
    at: shown.updatedAt,
  };
  return { text: textOf(fields), ...fields };
}

const HEADLINE: Record<NotifyEvent, { mark: string; says: string }> = {
  queued: { mark: '⏳', says: 'queued' },
  started: { mark: '🚀', says: 'deploying' },
  succeeded: { mark: '✅', says: 'succeeded' },
  failed: { mark: '❌', says: 'failed' },
  cancelled: { mark: '⊘', says: 'cancelled' },
  'awaiting-approval': { mark: '✋', says: 'waits for approval' },
};

/** `✅ billing → prod succeeded: a1b2c3d (main), was 9f8e7d6, by alice@host in 42.0 s · <https://…|open>` */
function textOf(p: Omit<NotificationPayload, 'text'>): string {
  const { mark, says } = HEADLINE[p.event];
  const short = (commit: string) => commit.slice(0, 7);
  const parts = [`${mark} ${slack(p.flow)} → ${slack(p.env)} ${says}: ${short(p.commit)}`];
  if (p.ref !== p.commit && !p.commit.startsWith(p.ref)) parts[0] += ` (${slack(p.ref)})`;
  if (p.promotedFrom) parts.push(`promoted from ${slack(p.promotedFrom.env)}`);
  if (p.previousCommit && p.previousCommit !== p.commit) parts.push(`was ${short(p.previousCommit)}`);
  let tail = `by ${slack(p.who)}`;
  if (p.durationMs !== null && p.event !== 'queued' && p.event !== 'started') tail += ` in ${formatMs(p.durationMs)}`;
  parts.push(tail);
  return parts.join(', ') + (p.link ? ` · <${p.link}|open>` : '');
}

/** Slack's three control characters in text; everything else is shown as it is. */
function slack(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/**
 * `url` when it is an http(s) address, without any user or password (a masked one would not
 * open); a file path or any other scheme is nothing a chat can open, and tells of the machine.
 */
function webLink(url: string | undefined): string | null {
  if (!url) return null;
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return null;
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') return null;
  parsed.username = '';
  parsed.password = '';
  // `|` and `>` would end Slack's <url|label> early.
  return parsed.href.replace(/\|/g, '%7C').replace(/>/g, '%3E');
}
