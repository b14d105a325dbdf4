import { runMocha } from '../mocha-run';

export function run(): Promise<void> {
  return runMocha(() => {
    require('./tree.test');
    require('./deploy.test');
    require('./host.test');
    require('./commands.test');
    require('./config.test');
    require('./secrets.test');
    require('./durable.test');
    require('./safe-ops.test');
    require('./steps-tree.test');
  });
}
