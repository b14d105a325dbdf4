/**
 * One build per commit, also when two first deploys of it start together (dev and uat from one
 * click, say): each says it is about to build (`attributes.building`), and the later of two that
 * said so waits for the earlier one's build and reuses it, instead of building the same commit
 * twice. Should the earlier end without a build (failed, cancelled, its runner gone), the next in
 * line builds.
 *
 * "Earlier" is the time each recorded saying so, then the deployment id: both runners compare the
 * same two records and agree. Left open on purpose: a runner that says so and looks before the
 * other's record is written (a few ms) builds too, as before; never does one wait for a build
 * that nobody runs.
 */
import type { DeploymentDetails, JsonValue } from '../model.js';
import { buildAmong, type BuildFound } from '../backend/build-phase.js';
import type { DeploymentStore } from '../backend/store.js';
import { LOG_PREFIX } from './life.js';
import { pause, wakeOnChange } from './queue.js';

/** What a runner needs of the store to take its turn at building. */
export type BuildTurnStore = Pick<DeploymentStore, 'findDeployments' | 'update'> &
  Partial<Pick<DeploymentStore, 'onChanges'>>;

/** `attributes.building` of a deployment about to build its commit. */
interface Building {
  commit: string;
  /** When it said so (ms since the epoch). */
  since: number;
}

function buildingOf(d: DeploymentDetails): Building | undefined {
  const b = d.attributes.building as Partial<Building> | undefined;
  return b && typeof b === 'object' && typeof b.commit === 'string' && typeof b.since === 'number'
    ? (b as Building)
    : undefined;
}

/** How often a waiting runner looks again, at the latest (at once when the store tells of a change). */
const POLL_MS = 250;

/**
 * Records that `me` is about to build `commit`, then waits while an earlier deployment of the flow
 * is building it. Returns its build to reuse once it has one, or undefined: build it yourself.
 * Cancelled with `signal`: undefined too (the caller's run then sees the abort).
 */
export async function awaitBuildTurn(
  store: BuildTurnStore,
  me: DeploymentDetails,
  commit: string,
  signal: AbortSignal,
  log: (line: string) => void,
): Promise<BuildFound | undefined> {
  const mine: Building = { commit, since: Date.now() };
  await store.update(me.id, { attributes: { building: mine as unknown as JsonValue } });
  let waitingFor: string | undefined;
  // Listening before the first look, as a queued runner does: a change between a look and the wait still wakes it.
  const changes = store.onChanges ? wakeOnChange(store.onChanges.bind(store)) : undefined;
  try {
    for (;;) {
      if (signal.aborted) return undefined;
      const history = await store.findDeployments({ flows: [me.flowName], history: true });
      const found = buildAmong(history, me.flowName, commit);
      if (found) return found;
      const ahead = history.find((d) => {
        if (d.id === me.id || d.flowName !== me.flowName || d.status !== 'running') return false;
        const theirs = buildingOf(d);
        return (
          theirs?.commit === commit && (theirs.since < mine.since || (theirs.since === mine.since && d.id < me.id))
        );
      });
      if (!ahead) return undefined;
      if (ahead.id !== waitingFor) {
        waitingFor = ahead.id;
        log(
          `${LOG_PREFIX} build: deployment ${ahead.id} (${ahead.env}) is building ${commit.slice(0, 12)}; waiting to reuse its outputs`,
        );
      }
      await (changes ? changes.next(signal, POLL_MS) : pause(signal, POLL_MS));
    }
  } finally {
    changes?.stop();
  }
}
