import { commandDeployer, defineConfig, output, type EnvironmentConfig } from 'flowport';

export default defineConfig({
  // Promotion order: dev → uat → prod. Deploys and promotes to prod ask for confirmation.
  environments: ['dev', 'uat', { name: 'prod', protected: true }].map(withTargets),
  flows: { include: ['src/**'] },
  // scripts/deploy.mjs bundles the flow at the deployed commit into .flowport/targets/<env>/<flow>/.
  // process.execPath: the Node (or editor) running Flowport, so no other Node is needed.
  deploy: commandDeployer({ command: [process.execPath, 'scripts/deploy.mjs'], timeoutMs: 120_000 }),
  releases: {
    // api reads db's connection string: db deploys first in each environment, and promotes first.
    api: {
      inputs: { DATABASE_URL: output('db', 'connection') },
      steps: [
        { name: 'migrate', group: 'db', command: [process.execPath, 'scripts/step.mjs', 'migrate', '{target}'] },
        {
          name: 'roll out',
          group: 'web',
          command: [process.execPath, 'scripts/step.mjs', 'roll-out', '{target}', '{step:migrate:schema}'],
          parallel: 2,
        },
      ],
    },
  },
});

// Each environment's targets for the api's two-group deploy (releases.api.steps above): one db host
// and two web hosts, three in prod.
function withTargets(env: string | EnvironmentConfig): EnvironmentConfig {
  const config = typeof env === 'string' ? { name: env } : env;
  const webHosts = config.name === 'prod' ? 3 : 2;
  return {
    ...config,
    targets: {
      db: [`${config.name}-db-1`],
      web: Array.from({ length: webHosts }, (_, i) => `${config.name}-web-${i + 1}`),
    },
  };
}
