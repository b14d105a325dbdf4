import { runMocha } from '../mocha-run';

export function run(): Promise<void> {
  return runMocha(() => void require('./multi-root.test'));
}
