import { defineConfig } from 'flowport';

export default defineConfig({
  environments: ['dev', 'uat', { name: 'prod', protected: true }],
  flows: { include: ['src/**'] },
});
