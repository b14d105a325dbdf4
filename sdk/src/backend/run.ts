/**
 * A recorded run's life moved to the runner (sdk/src/runner/life.ts); kept here for the SDK's
 * exports and for deployers of one's own that import it from here.
 */
export {
  LOG_PREFIX,
  messageOf,
  runRecorded,
  type ActiveRun,
  type QueueableRun,
  type RunOutcome,
} from '../runner/life.js';
