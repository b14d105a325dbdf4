/**
 * One policy for secrets, on every surface (the ledger, logs, the CLI, the editor's tree and board).
 *
 * An output is secret when
 * - the deployer declares it: `commandDeployer({ secretOutputs: ['apiToken'] })`,
 * - the deploy command declares it, printing `::flowport-secret name=value` instead of
 *   `::flowport-output name=value`, or
 * - its name says so ({@link isSecretName}: `token`, `password`, `apiKey`, `DATABASE_URL`, …).
 * Declared names are recorded in the deployment's `attributes.secretOutputs`.
 *
 * A secret output is stored encrypted (AES-256-GCM, {@link sealValue}) in the deployment's
 * `attributes.sealedOutputs`; its `outputs` entry holds {@link MASK}. An output whose value is a URL
 * with a password in it (`https://user:pass@host`) is stored the same way, its `outputs` entry
 * showing the URL with the password masked. Readers decrypt only when asked to reveal
 * ({@link revealDeployment}). The key lives outside the repository ({@link secretKeyFile}).
 *
 * The values of the deploy command's secret environment variables (its `env:` entries whose names
 * are secret) and of secret outputs are masked in what the command prints ({@link SecretMasker}):
 * the log file, the last lines of a failed run, the terminal, and in the command line recorded for
 * the run (`attributes.command`). A value shorter than {@link MIN_MASKED_CHARS} is masked only
 * where it stands alone, and the log warns about it.
 *
 * No `vscode` import: the extension uses this module as the CLI does.
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import {
  chmodSync,
  closeSync,
  linkSync,
  lstatSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  unlinkSync,
  writeSync,
} from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { DeployError } from './errors.js';
import type { DeploymentDetails, JsonValue } from './model.js';

/** What a secret value is shown as. */
export const MASK = '•••';

/** `attributes` key: names of outputs declared secret (by the deployer or the command). */
export const SECRET_OUTPUTS = 'secretOutputs';
/** `attributes` key: output name → its value encrypted ({@link sealValue}). */
export const SEALED_OUTPUTS = 'sealedOutputs';

/** Words that make a name secret wherever they stand as a word of it (`db_password`, `apiToken`). */
const SECRET_WORDS = new Set([
  'token',
  'password',
  'passwd',
  'pwd',
  'pass',
  'passphrase',
  'secret',
  'key',
  'apikey',
  'dsn',
  'cookie',
  'session',
  'sessionid',
  'jwt',
  'bearer',
  'pat',
  'credential',
  'creds',
  'auth',
  'authorization',
  'private',
  'privatekey',
  'accesskey',
  'secretkey',
  'signingkey',
  'sshkey',
  'otp',
  'databaseurl',
  'dburl',
  'connectionstring',
  'connstr',
]);
/** Long words that also count at the end of a compound (`githubtoken`, `dbpassword`, `tokens`). */
const SECRET_STEMS = ['token', 'password', 'passwd', 'passphrase', 'secret', 'cookie', 'credential', 'bearer'];
/** Two words that together make a name secret. */
const SECRET_PAIRS = new Set(['database url', 'db url', 'connection string', 'conn string', 'session id']);

/**
 * The words of a name: split at `_`, `-`, `.`, spaces, digits and camelCase humps, lower-cased.
 * `DATABASE_URL` → database, url; `apiKey` → api, key; `keyboard` → keyboard.
 */
export function nameWords(name: string): string[] {
  return name
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .replace(/([A-Z]+)([A-Z][a-z])/g, '$1 $2')
    .toLowerCase()
    .split(/[^a-z]+/)
    .filter(Boolean);
}

/**
 * Whether a name (of an output or an environment variable) says its value is secret. Word-aware:
 * `apiToken`, `DB_PASSWORD`, `GITHUB_PAT`, `database_url`, `session`, `jwt` are; `pattern`,
 * `keyboard`, `monkey`, `passenger` are not.
 */
export function isSecretName(name: string): boolean {
  let known = secretNames.get(name);
  if (known === undefined) {
    // A ledger read asks for every output of every record: a project has few distinct names.
    if (secretNames.size >= 4096) secretNames.clear();
    secretNames.set(name, (known = judgeName(name)));
  }
  return known;
}

const secretNames = new Map<string, boolean>();

function judgeName(name: string): boolean {
  const words = nameWords(name);
  for (let i = 0; i < words.length; i++) {
    const w = words[i]!;
    const single = w.endsWith('s') && SECRET_WORDS.has(w.slice(0, -1)) ? w.slice(0, -1) : w;
    if (SECRET_WORDS.has(single)) return true;
    if (SECRET_STEMS.some((stem) => w.endsWith(stem) || w.endsWith(`${stem}s`))) return true;
    if (i + 1 < words.length && SECRET_PAIRS.has(`${w} ${words[i + 1]}`)) return true;
  }
  return false;
}

/** Whether output `name` of `deployment` is secret: declared (`attributes.secretOutputs`) or so named. */
export function isSecretOutput(name: string, deployment: Pick<DeploymentDetails, 'attributes'>): boolean {
  const declared = deployment.attributes[SECRET_OUTPUTS];
  return isSecretName(name) || (Array.isArray(declared) && declared.includes(name));
}

/** `scheme://user:password@` in text; the user stays, the password goes. */
const URL_CREDENTIALS = /\b([a-z][a-z0-9+.-]*:\/\/)([^\s:@/?#]*):([^\s@/?#]+)@/gi;

/** Text with the password of every `scheme://user:password@host` in it shown as {@link MASK}. */
export function maskUrlCredentials(text: string): string {
  return text.replace(URL_CREDENTIALS, (_, scheme: string, user: string) => `${scheme}${user}:${MASK}@`);
}

/** How an output is shown: {@link MASK} for a secret one, a URL's password masked, else as it is. */
export function displayOutput(name: string, value: string, deployment: Pick<DeploymentDetails, 'attributes'>): string {
  return isSecretOutput(name, deployment) ? MASK : maskUrlCredentials(value);
}

// ── at rest ──────────────────────────────────────────────────────────────────────────────────

const SEALED_PREFIX = 'fps1:';
const KEY_BYTES = 32;
const IV_BYTES = 12;
const TAG_BYTES = 16;

/** Why a sealed value could not be read: no key, another key, or a damaged value. */
export class SecretError extends Error {
  override readonly name = 'SecretError';
}

/**
 * Where the key that encrypts secret outputs is: `FLOWPORT_SECRET_KEY_FILE`, else
 * `$XDG_CONFIG_HOME/flowport/secret.key` (`~/.config/flowport/secret.key`): outside every
 * repository, one per user. Created (32 random bytes, mode 0600, in a 0700 folder) on first use.
 */
export function secretKeyFile(env: NodeJS.ProcessEnv = process.env): string {
  if (env.FLOWPORT_SECRET_KEY_FILE) return env.FLOWPORT_SECRET_KEY_FILE;
  const config = env.XDG_CONFIG_HOME || join(homedir(), '.config');
  return join(config, 'flowport', 'secret.key');
}

const keys = new Map<string, Buffer>();

function readKey(file: string): Buffer | undefined {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new SecretError(`cannot read the secret key ${file}: ${(err as Error).message}`);
  }
  const key = Buffer.from(text.trim(), 'base64');
  if (key.length !== KEY_BYTES)
    throw new SecretError(`the secret key ${file} is damaged: it must hold ${KEY_BYTES} bytes in base64`);
  return key;
}

/** The key, created when `create` and there is none yet. Two processes creating it at once agree. */
function secretKey(create: boolean): Buffer | undefined {
  const file = secretKeyFile();
  const cached = keys.get(file);
  if (cached) return cached;
  let key = readKey(file);
  if (!key && create) {
    mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
    const tmp = `${file}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
    const fd = openSync(tmp, 'wx', 0o600);
    try {
      writeSync(fd, `${randomBytes(KEY_BYTES).toString('base64')}\n`);
    } finally {
      closeSync(fd);
    }
    try {
      chmodSync(tmp, 0o600);
      linkSync(tmp, file); // never replaces a key another process made meanwhile
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    } finally {
      unlinkSync(tmp);
    }
    key = readKey(file);
  }
  if (key) keys.set(file, key);
  return key;
}

/** Whether `text` is a value {@link sealValue} made. */
export function isSealed(text: unknown): text is string {
  return typeof text === 'string' && text.startsWith(SEALED_PREFIX);
}

/**
 * `value` encrypted with AES-256-GCM under the user's key ({@link secretKeyFile}), bound to
 * `context` (the deployment id and output name: a sealed value copied to another record does not
 * open there).
 */
export function sealValue(value: string, context: string): string {
  const key = secretKey(true)!;
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  cipher.setAAD(Buffer.from(context, 'utf8'));
  const body = Buffer.concat([cipher.update(value, 'utf8'), cipher.final()]);
  return SEALED_PREFIX + Buffer.concat([iv, cipher.getAuthTag(), body]).toString('base64');
}

/** The value {@link sealValue} sealed; throws a {@link SecretError} without the key that sealed it. */
export function openValue(sealed: string, context: string): string {
  if (!isSealed(sealed)) throw new SecretError('not a sealed value');
  const key = secretKey(false);
  if (!key) throw new SecretError(`no secret key at ${secretKeyFile()}: it was sealed with another one`);
  const raw = Buffer.from(sealed.slice(SEALED_PREFIX.length), 'base64');
  if (raw.length < IV_BYTES + TAG_BYTES) throw new SecretError('a damaged sealed value');
  try {
    const decipher = createDecipheriv('aes-256-gcm', key, raw.subarray(0, IV_BYTES));
    decipher.setAAD(Buffer.from(context, 'utf8'));
    decipher.setAuthTag(raw.subarray(IV_BYTES, IV_BYTES + TAG_BYTES));
    return Buffer.concat([decipher.update(raw.subarray(IV_BYTES + TAG_BYTES)), decipher.final()]).toString('utf8');
  } catch {
    throw new SecretError(`cannot decrypt: sealed with another key than ${secretKeyFile()}, or damaged`);
  }
}

function outputContext(id: string, name: string): string {
  return `flowport output\u0000${id}\u0000${name}`;
}

function sealedOf(d: Pick<DeploymentDetails, 'attributes'>): Record<string, string> {
  const value = d.attributes[SEALED_OUTPUTS];
  const out: Record<string, string> = {};
  if (typeof value === 'object' && value !== null && !Array.isArray(value)) {
    for (const [name, v] of Object.entries(value)) if (isSealed(v)) out[name] = v;
  }
  return out;
}

const REGEXP_SYNTAX = /[.*+?^${}()|[\]\\]/g;

/** `value` as a regular expression that matches it only where it stands alone (see {@link MIN_MASKED_CHARS}). */
function standalone(value: string): RegExp {
  const escaped = value.replace(REGEXP_SYNTAX, '\\$&');
  return new RegExp(`(?<![\\p{L}\\p{N}])${escaped}(?![\\p{L}\\p{N}])`, 'gu');
}

/**
 * `text` with each of `values` as {@link MASK}, longest first: a value of {@link MIN_MASKED_CHARS}
 * or more characters wherever it occurs, a shorter one only where it stands alone. Empty values
 * mask nothing.
 */
export function maskSecretValues(text: string, values: readonly string[]): string {
  let out = text;
  const sorted = [...values].sort((a, b) => b.length - a.length);
  for (const v of sorted) {
    if (v === '' || !out.includes(v)) continue;
    out = v.length >= MIN_MASKED_CHARS ? out.split(v).join(MASK) : out.replace(standalone(v), MASK);
  }
  return out;
}

/**
 * The deployment as it may be stored: each secret output (and each one whose value is a URL with
 * a password) that is still in clear is encrypted into `attributes.sealedOutputs`, its `outputs`
 * entry shown masked; `url` loses its password; what `lastLines` and `reason` hold of those values
 * is masked. Idempotent: sealed outputs are left as they are. Called by the local ledger before a
 * deployment record is written.
 */
export function sealDeployment(d: DeploymentDetails): DeploymentDetails {
  let sealed: Record<string, string> | undefined;
  let outputs: Record<string, string> | undefined;
  const clear: string[] = [];
  for (const [name, value] of Object.entries(d.outputs)) {
    if (typeof value !== 'string') continue;
    const shown = displayOutput(name, value, d);
    if (shown === value) continue;
    sealed ??= sealedOf(d);
    outputs ??= { ...d.outputs };
    sealed[name] = sealValue(value, outputContext(d.id, name));
    outputs[name] = shown;
    clear.push(value);
  }
  const url = d.url === undefined ? undefined : maskUrlCredentials(d.url);
  if (!sealed && url === d.url) return d;
  const attributes: Record<string, JsonValue> = { ...d.attributes };
  if (sealed) attributes[SEALED_OUTPUTS] = sealed;
  if (Array.isArray(attributes.lastLines))
    attributes.lastLines = attributes.lastLines.map((l) => (typeof l === 'string' ? maskSecretValues(l, clear) : l));
  if (typeof attributes.reason === 'string') attributes.reason = maskSecretValues(attributes.reason, clear);
  if (Array.isArray(attributes.command))
    attributes.command = attributes.command.map((a) => (typeof a === 'string' ? maskSecretValues(a, clear) : a));
  return {
    ...d,
    outputs: outputs ?? d.outputs,
    attributes,
    ...(url === undefined ? {} : { url }),
  };
}

/**
 * A deployment read back: a secret output still in clear (recorded by an older Flowport, or by
 * hand) is shown masked, as a sealed one is. Nothing is decrypted or encrypted here.
 */
export function maskDeployment(d: DeploymentDetails): DeploymentDetails {
  let outputs: Record<string, string> | undefined;
  for (const [name, value] of Object.entries(d.outputs)) {
    if (typeof value !== 'string') continue;
    const shown = displayOutput(name, value, d);
    if (shown !== value) (outputs ??= { ...d.outputs })[name] = shown;
  }
  const url = d.url === undefined ? undefined : maskUrlCredentials(d.url);
  if (!outputs && url === d.url) return d;
  return { ...d, outputs: outputs ?? d.outputs, ...(url === undefined ? {} : { url }) };
}

/** The deployment as shown to anyone: secrets masked, and no ciphertext (`attributes.sealedOutputs`). */
export function publicDeployment(d: DeploymentDetails): DeploymentDetails {
  const masked = maskDeployment(d);
  if (!(SEALED_OUTPUTS in masked.attributes)) return masked;
  const { [SEALED_OUTPUTS]: _sealed, ...attributes } = masked.attributes;
  return { ...masked, attributes };
}

/**
 * The deployment with its sealed outputs decrypted (and a URL output's password back in `url`),
 * for `--show-secrets` and a confirmed copy. An output that cannot be decrypted (another user's or
 * machine's key) stays masked, its reason in `attributes.secretErrors`.
 */
export function revealDeployment(d: DeploymentDetails): DeploymentDetails {
  const sealed = sealedOf(d);
  const outputs = { ...d.outputs };
  const errors: Record<string, string> = {};
  let url = d.url;
  for (const [name, value] of Object.entries(sealed)) {
    try {
      outputs[name] = openValue(value, outputContext(d.id, name));
      if (name === 'url') url = outputs[name];
    } catch (err) {
      errors[name] = (err as Error).message;
    }
  }
  const { [SEALED_OUTPUTS]: _sealed, ...attributes } = d.attributes;
  if (Object.keys(errors).length) attributes.secretErrors = errors;
  return { ...d, outputs, attributes, ...(url === undefined ? {} : { url }) };
}

/** One output's value in clear, or undefined when it is not sealed; throws a {@link SecretError} when it cannot be opened. */
export function revealOutput(d: DeploymentDetails, name: string): string | undefined {
  const sealed = sealedOf(d)[name];
  return sealed === undefined ? undefined : openValue(sealed, outputContext(d.id, name));
}

// ── what the command prints ──────────────────────────────────────────────────────────────────

/**
 * The shortest secret value masked wherever it occurs in text. A shorter one (1 to 3 characters)
 * is masked only where it stands alone: not inside a longer word or number, so a PIN `42` hides
 * `--pin=42` and `pin 42` but not `1425` or `v42b`. Masking every `ab` would hide the log rather than
 * the secret, and show where the secret is; tools that mask every occurrence of a one-letter
 * secret make logs unreadable (GitHub Actions), others skip short ones (Azure Pipelines' knob,
 * Jenkins). A secret that short is no secret anyway: the deploy log warns about each one
 * ({@link SecretMasker.warnings}), naming the variable, never its value. Secret outputs are shown
 * as {@link MASK} and sealed whatever their length.
 */
export const MIN_MASKED_CHARS = 4;

const OUTPUT_LINE = /^::flowport-(output|secret) ([A-Za-z_][A-Za-z0-9_.-]*)=(.*)$/;

/** An output a line of the command sets: `::flowport-output name=value` or `::flowport-secret name=value`. */
export interface OutputLine {
  name: string;
  value: string;
  /** Declared secret by the line (`::flowport-secret`). */
  declared: boolean;
}

export function parseOutputLine(line: string): OutputLine | undefined {
  const m = OUTPUT_LINE.exec(line);
  return m ? { name: m[2]!, value: m[3]!, declared: m[1] === 'secret' } : undefined;
}

/**
 * Masks secrets in what a deploy command prints, line by line: the values of its secret
 * environment variables, the value of each secret output it sets (in that line and every later
 * one), and the password of every `scheme://user:password@` URL.
 */
export class SecretMasker {
  private values: string[] = [];
  /** Names of outputs declared secret (by the deployer, or by `::flowport-secret` lines). */
  readonly declared: Set<string>;
  /**
   * One line per secret environment variable whose value is shorter than {@link MIN_MASKED_CHARS}
   * (so masked only where it stands alone), naming the variable, not the value: for the log.
   */
  readonly warnings: string[] = [];

  constructor(options: { env?: Record<string, string>; secretOutputs?: readonly string[] } = {}) {
    this.declared = new Set(options.secretOutputs ?? []);
    for (const [name, value] of Object.entries(options.env ?? {})) {
      if (name.startsWith('FLOWPORT_') || !isSecretName(name)) continue;
      this.add(value);
      if (value !== '' && value.length < MIN_MASKED_CHARS)
        this.warnings.push(
          `warning: the secret variable ${name} is only ${value.length} character${value.length === 1 ? '' : 's'} long: ` +
            `it is masked only where it stands alone, not inside longer words or numbers. Use a secret of ${MIN_MASKED_CHARS} characters or more.`,
        );
    }
  }

  /** Masks `value` from now on ({@link maskSecretValues}: a short one only where it stands alone). */
  add(value: string): void {
    if (value === '' || this.values.includes(value)) return;
    this.values.push(value);
  }

  /** Whether output `name` is secret: declared, or so named. */
  isSecret(name: string): boolean {
    return this.declared.has(name) || isSecretName(name);
  }

  /** `text` with every known secret value and URL password masked. */
  mask(text: string): string {
    return maskUrlCredentials(maskSecretValues(text, this.values));
  }

  /**
   * One line the command printed: the output it sets, if any (a `::flowport-secret` one declared
   * from now on), and the line as it may be logged and shown.
   */
  line(line: string): { output?: OutputLine; shown: string } {
    const output = parseOutputLine(line);
    if (!output) return { shown: this.mask(line) };
    if (output.declared) this.declared.add(output.name);
    if (this.isSecret(output.name)) {
      this.add(output.value);
      return { output, shown: `::flowport-${output.declared ? 'secret' : 'output'} ${output.name}=${MASK}` };
    }
    return { output, shown: this.mask(line) };
  }
}

// ── state files ──────────────────────────────────────────────────────────────────────────────

/** The state folder (`.flowport/`) and the folders in it are the owner's only. */
export const PRIVATE_DIR_MODE = 0o700;
/** The ledger, logs, leases and caches: the owner's only. */
export const PRIVATE_FILE_MODE = 0o600;

/**
 * Makes each folder of `dirs` (each one and the missing ones above it, as `mkdir -p`) the owner's
 * only, tightening one that was made before with a wider mode. Folders above the first one given
 * that exist are left as they are.
 */
export function privateDirsSync(...dirs: string[]): void {
  for (const dir of dirs) {
    // A state folder that is a link would have everything written (and chmod-ed) at its target.
    if (lstatSync(dir, { throwIfNoEntry: false })?.isSymbolicLink()) {
      throw new DeployError(
        `${dir} is a symbolic link: Flowport keeps its state only in a folder of its own and follows no links there. ` +
          `Remove the link and run the command again.`,
      );
    }
    mkdirSync(dir, { recursive: true, mode: PRIVATE_DIR_MODE });
    try {
      chmodSync(dir, PRIVATE_DIR_MODE);
    } catch {
      // not ours to change (another user's folder): what it holds is still written 0600
    }
  }
}

/** Whether a mode lets anyone but the owner in (group or other bits). */
function tooOpen(mode: number): boolean {
  return (mode & 0o077) !== 0;
}

/**
 * Tightens a state file just opened (to read or to write) to {@link PRIVATE_FILE_MODE}, and the
 * folder it is in to {@link PRIVATE_DIR_MODE}, when an older Flowport left them 0644 in 0755: a
 * file's mode is set only when it is created, so one made before stays open until this runs.
 * Best effort: a file or folder of another user's, or on a read-only disk, is read as it is.
 */
export async function tightenStateFile(fh: FileHandle, path: string): Promise<void> {
  try {
    const { mode } = await fh.stat();
    if (tooOpen(mode)) await fh.chmod(PRIVATE_FILE_MODE);
  } catch {
    // not ours to change
  }
  const dir = dirname(path);
  try {
    const st = lstatSync(dir, { throwIfNoEntry: false });
    if (st?.isDirectory() && tooOpen(st.mode)) chmodSync(dir, PRIVATE_DIR_MODE);
  } catch {
    // not ours to change
  }
}

/**
 * Makes a state folder left by an older Flowport (0755, its files 0644) private again: the folder
 * and each of `subfolders` in it 0700, each regular file directly in them 0600. Links and other
 * folders (a worktree's checkout) are left alone. Cheap when there is nothing to do: the files of a
 * folder are visited only when that folder itself was too open.
 */
export function tightenStateDirSync(dir: string, subfolders: readonly string[]): void {
  for (const folder of [dir, ...subfolders.map((name) => join(dir, name))]) {
    const st = lstatSync(folder, { throwIfNoEntry: false });
    if (!st?.isDirectory() || !tooOpen(st.mode)) continue;
    try {
      chmodSync(folder, PRIVATE_DIR_MODE);
      for (const entry of readdirSync(folder, { withFileTypes: true })) {
        if (!entry.isFile()) continue; // a link is never followed, a folder not entered
        const file = join(folder, entry.name);
        const mode = lstatSync(file, { throwIfNoEntry: false })?.mode;
        if (mode !== undefined && tooOpen(mode)) chmodSync(file, PRIVATE_FILE_MODE);
      }
    } catch {
      // not ours to change (another user's folder), or read-only: its files are still written 0600
    }
  }
}
