import { runMocha } from '../mocha-run';

export function run(): Promise<void> {
  return runMocha(() => void require('./restricted.test'));
}
