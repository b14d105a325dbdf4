import { runMocha } from '../mocha-run';

export function run(): Promise<void> {
  return runMocha(() => {
    require('../suite/team.test');
  });
}
