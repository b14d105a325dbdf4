/**
 * Each command's synopsis, written once for `--help` and for the usage errors. Kept apart from the
 * commands so that `--help` loads none of them; test/unit/cli/usage.test.ts checks that each lists
 * every flag its command's parseArgs accepts.
 */
export const USAGE = {
  flows: 'flowport flows [--root DIR] [--json] [--no-cache]',
  deployments: 'flowport deployments [--flow F]… [--env E]… [--root DIR] [--json] [--show-secrets] [--no-cache]',
  deploy:
    'flowport deploy <flow…|--group G…> --env E [--ref R] [--detach] [--no-queue] [--override-checks "reason"] [--yes|-y] [--root DIR] [--json] [--show-secrets] [--no-cache]',
  promote:
    'flowport promote <flow…|--group G…> --from E1 --to E2 [--dry-run] [--detach] [--no-queue] [--override-checks "reason"] [--yes|-y] [--root DIR] [--json] [--show-secrets] [--no-cache]',
  history: 'flowport history <flow> [--env E] [--limit N] [--root DIR] [--json] [--show-secrets] [--no-cache]',
  logs: 'flowport logs <deploymentId> [--follow|-f] [--root DIR]',
  releases: 'flowport releases <flow> --env E [--root DIR] [--json] [--show-secrets] [--no-cache]',
  rollback:
    'flowport rollback <flow> --env E [--to <deploymentId>] [--detach] [--no-queue] [--override-checks "reason"] [--yes|-y] [--root DIR] [--json] [--no-cache]',
  queue: 'flowport queue [--root DIR] [--json]',
  approvals: 'flowport approvals [--root DIR] [--json]',
  approve: 'flowport approve <deploymentId> [--comment "…"] [--root DIR] [--json]',
  reject: 'flowport reject <deploymentId> --reason "…" [--root DIR] [--json]',
  lock: 'flowport lock <env> [--flow F] --reason "…" [--root DIR] [--json]',
  unlock: 'flowport unlock <env> [--flow F] [--yes|-y] [--root DIR] [--json]',
  locks: 'flowport locks [--root DIR] [--json]',
  state: 'flowport state migrate [--from local --to <url>] [--project NAME] [--root DIR] [--json]',
  cancel: 'flowport cancel <deploymentId> [--no-wait] [--timeout SECONDS] [--force] [--root DIR] [--json]',
} as const;

export type CommandName = keyof typeof USAGE;
