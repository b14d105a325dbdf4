import { commandDeployer, defineConfig } from 'flowport';

export default defineConfig({
  // Promotion order: dev → uat → prod. Deploys and promotes to prod ask for confirmation.
  environments: ['dev', 'uat', { name: 'prod', protected: true }],
  flows: { include: ['src/**'] },
  // scripts/deploy.mjs bundles the flow at the deployed commit into .flowport/targets/<env>/<flow>/.
  // process.execPath: the Node (or editor) running Flowport, so no other Node is needed.
  deploy: commandDeployer({ command: [process.execPath, 'scripts/deploy.mjs'], timeoutMs: 120_000 }),
});
