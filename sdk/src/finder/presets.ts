/**
 * Where each preset is on. `flows.presets` in the config decides when it names the preset
 * (`{ 'trigger.dev': false }`); otherwise a file's preset flows count when its nearest
 * `package.json` depends on the framework's package (dependencies, devDependencies or
 * peerDependencies): each package of a monorepo answers for its own files.
 *
 * Decided when the scans are assembled, not when a file is parsed: a preset's markers are parsed
 * for wherever their module's name is written (the cheap first pass), so a dependency added to a
 * `package.json` later needs no file parsed again, and only the `package.json` files above the
 * few files with preset findings are ever read.
 */
import { readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, sep } from 'node:path';
import { PRESETS, type Preset, type PresetSwitches } from './markers.js';

/** What `flowport flows` says about one preset. */
export interface PresetStatus {
  name: string;
  /** The package whose dependency turns it on, e.g. `@trigger.dev/sdk`. */
  dependency: string;
  /** `config`: `flows.presets` names it; `detected`: decided per package.json. */
  decidedBy: 'config' | 'detected';
  /** For `config`: what the config says. */
  configured?: boolean;
  /** Root-relative package.json files that depend on the package, above files with its flows. */
  packages: string[];
  /** Root-relative package.json files (or `no package.json`) above files with its flows that do not depend on it. */
  notDepending: string[];
  /** Flows of this preset that count. */
  flows: number;
}

interface PackageFile {
  size: number;
  mtimeMs: number;
  deps: Set<string>;
}

export class PresetScope {
  private readonly presets: Preset[];
  /** Parsed package.json files, kept while their size and mtime are. */
  private readonly packages = new Map<string, PackageFile>();
  /** Folder → its nearest package.json (absolute) or null; one assembly's worth. */
  private nearest = new Map<string, string | null>();
  private used = new Map<string, { packages: Set<string>; notDepending: Set<string>; flows: number }>();

  constructor(
    private readonly root: string,
    private readonly switches: PresetSwitches = {},
  ) {
    this.presets = PRESETS.filter((p) => switches[p.name] !== false);
  }

  /** The presets whose markers are parsed for: those not switched off. */
  get active(): readonly Preset[] {
    return this.presets;
  }

  /** Starts an assembly: package.json files are looked up again (their contents stay cached by mtime). */
  begin(): void {
    this.nearest = new Map();
    this.used = new Map(this.presets.map((p) => [p.name, { packages: new Set(), notDepending: new Set(), flows: 0 }]));
  }

  /** Whether preset `name` is on for the file at root-relative `rel`. */
  isOn(name: string, rel: string): boolean {
    const preset = this.presets.find((p) => p.name === name);
    if (!preset) return false;
    if (this.switches[name] === true) return true;
    const pkg = this.nearestPackage(dirname(join(this.root, rel)));
    const deps = pkg ? this.depsOf(pkg) : undefined;
    const on = preset.packages.some((d) => deps?.has(d));
    const where = pkg ? relative(this.root, pkg).split(sep).join('/') : 'no package.json';
    this.used.get(name)?.[on ? 'packages' : 'notDepending'].add(where);
    return on;
  }

  /** Counts a flow of preset `name` that was kept. */
  counted(name: string): void {
    const u = this.used.get(name);
    if (u) u.flows++;
  }

  /** Every built-in preset's state after the last assembly. */
  status(): PresetStatus[] {
    return PRESETS.map((p) => {
      const u = this.used.get(p.name);
      const configured = this.switches[p.name];
      return {
        name: p.name,
        dependency: p.packages.join(' or '),
        decidedBy: configured === undefined ? 'detected' : 'config',
        ...(configured === undefined ? {} : { configured }),
        packages: [...(u?.packages ?? [])].sort(),
        notDepending: [...(u?.notDepending ?? [])].sort(),
        flows: u?.flows ?? 0,
      };
    });
  }

  private nearestPackage(dir: string): string | null {
    const known = this.nearest.get(dir);
    if (known !== undefined) return known;
    const file = join(dir, 'package.json');
    const parent = dirname(dir);
    const found = statSync(file, { throwIfNoEntry: false })?.isFile()
      ? file
      : parent === dir
        ? null
        : this.nearestPackage(parent);
    this.nearest.set(dir, found);
    return found;
  }

  private depsOf(file: string): Set<string> {
    const st = statSync(file, { throwIfNoEntry: false });
    const cached = this.packages.get(file);
    if (st && cached && cached.size === st.size && cached.mtimeMs === st.mtimeMs) return cached.deps;
    const deps = new Set<string>();
    try {
      const json = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
      for (const key of ['dependencies', 'devDependencies', 'peerDependencies']) {
        const d = json[key];
        if (typeof d === 'object' && d !== null && !Array.isArray(d)) for (const name of Object.keys(d)) deps.add(name);
      }
    } catch {
      // Unreadable or not JSON: it depends on nothing we can tell.
    }
    if (st) this.packages.set(file, { size: st.size, mtimeMs: st.mtimeMs, deps });
    return deps;
  }
}

/** One stderr line per preset worth a word: on, set in the config, or used where it is off. */
export function presetLines(statuses: readonly PresetStatus[]): string[] {
  const lines: string[] = [];
  for (const s of statuses) {
    const flows = `${s.flows} flow${s.flows === 1 ? '' : 's'}`;
    if (s.decidedBy === 'config') {
      lines.push(
        `preset ${s.name}: ${s.configured ? `on (flows.presets in the config), ${flows}` : 'off (flows.presets in the config)'}`,
      );
      continue;
    }
    const n = s.packages.length;
    const off = s.notDepending.length ? `; off for ${few(s.notDepending)} (no dependency on ${s.dependency})` : '';
    if (n > 0) {
      lines.push(
        `preset ${s.name}: on for ${n} package${n === 1 ? '' : 's'} (${few(s.packages)} ${n === 1 ? 'depends' : 'depend'} on ${s.dependency}), ${flows}${off}`,
      );
    } else if (s.notDepending.length) {
      lines.push(
        // "Imported" would not do: an Inngest function's file imports its client, not inngest.
        `preset ${s.name}: off: its units are written where ${few(s.notDepending)} ${s.notDepending.length === 1 ? 'does' : 'do'} not depend on ${s.dependency}`,
      );
    }
  }
  return lines;
}

/** The first three, then how many more. */
function few(items: readonly string[]): string {
  return items.slice(0, 3).join(', ') + (items.length > 3 ? ` and ${items.length - 3} more` : '');
}
