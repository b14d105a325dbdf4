/**
 * Who a person is to Flowport when it matters who (an approval, its refusal to the asker): the
 * git identity (`git config user.email`), else `user@host`. The local store trusts its machine:
 * anyone who can set git's config can be anyone; a team store enforces identity.
 */
import { execFileSync } from 'node:child_process';
import { currentInitiator } from './processes.js';
import type { DeploymentStore } from './store.js';

export function personIdentity(root: string): string {
  try {
    // `git config` reads settings only: it runs nothing a repository's config names.
    const email = execFileSync('git', ['config', '--get', 'user.email'], {
      cwd: root,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
      timeout: 5000,
    }).trim();
    if (email) return email;
  } catch {
    // no git, no repository, or no user.email set
  }
  return currentInitiator();
}

/**
 * Who this process acts as in `store`: the identity the store itself vouches for when it has one
 * (the team store: the database role this member logged in as, which no one else can claim
 * without its password), else {@link personIdentity}.
 */
export async function actingIdentity(store: DeploymentStore, root: string): Promise<string> {
  return store.identity ? store.identity() : personIdentity(root);
}
