/**
 * The reconciler: the only writer of our nft table. Desired state (the accounting
 * commands of the counter source in use + the firewall extension's commands) against the
 * live kernel → one atomic `nft -f -` batch, applied when the desired state changed or the
 * table needs repair; element deletes of counters that are gone. The collector and
 * `appnet run` both apply through it; applies never overlap.
 */
import { TABLE_FAMILY, TABLE_NAME, isIfname } from '../lib/nft/names';
import type { FirewallCounters } from '../lib/nft/firewall-parse';
import type { NftRunner } from './nft/exec';
import type { LiveCgroup } from './sources/cgroups';
import type { InterfaceInfo } from './sources/interfaces';

/** Extra commands appended to every ruleset batch (the firewall), and how to report their result. */
export interface RulesetExtension {
  commands(live: LiveCgroup[], ifaces: InterfaceInfo[]): string[];
  /** Called after each apply attempt; lets the extension record applied status. */
  applied(ok: boolean, error: string | null): void;
  /** Fingerprint of the desired state: a change triggers an apply. */
  fingerprint(live: LiveCgroup[]): string;
  /** Sees the rule hits and quota use of each reading of our table. */
  observe(counters: FirewallCounters): void;
}

/** What the table should hold now. */
export interface Desired {
  /** The counting part (lib/nft/accounting.ts), already built for the current levels. */
  accounting: string[];
  /** Identifies `accounting`: equal keys mean equal commands. */
  accountingKey: string;
  live: LiveCgroup[];
  ifaces: InterfaceInfo[];
}

export interface ApplyResult {
  /** A batch was applied. */
  applied: boolean;
  /** Why the extension's part is not in the kernel (the previous one stays), or null. */
  extensionError: string | null;
}

type Log = (level: 'info' | 'warn' | 'error', msg: string) => void;

/** Reconciler owns every batch applied to our table; see the file comment. */
export class Reconciler {
  private applying: Promise<unknown> = Promise.resolve();
  private appliedFingerprint: string | null = null;
  private lastExtensionError: string | null = null;

  constructor(
    private readonly nft: NftRunner,
    private readonly opts: { extension?: RulesetExtension; log: Log },
  ) {}

  get extension(): RulesetExtension | undefined {
    return this.opts.extension;
  }

  /** ensure applies the desired state when it changed since the last apply, or always with `force` (a missing or damaged table). */
  ensure(desired: Desired, opts: { force: boolean }): Promise<ApplyResult> {
    const run = this.applying.then(() => this.apply(desired, opts));
    this.applying = run.catch(() => undefined);
    return run;
  }

  private async apply(desired: Desired, opts: { force: boolean }): Promise<ApplyResult> {
    const ext = this.opts.extension;
    const fp = `${desired.accountingKey}#${ext ? ext.fingerprint(desired.live) : ''}`;
    if (!opts.force && fp === this.appliedFingerprint) return { applied: false, extensionError: null };
    if (!ext) {
      await this.nft.apply(desired.accounting);
      this.appliedFingerprint = fp;
      return { applied: true, extensionError: null };
    }
    let lastError = '';
    // A cgroup that vanishes between planning and loading fails the whole batch: plan
    // again from a fresh read of the tree once before giving up on the extension's part.
    for (let attempt = 0; attempt < 2; attempt++) {
      let extra: string[];
      try {
        extra = ext.commands(desired.live, desired.ifaces);
      } catch (err) {
        lastError = err instanceof Error ? err.message : String(err);
        ext.applied(false, lastError);
        break;
      }
      try {
        await this.nft.apply([...desired.accounting, ...extra]);
        ext.applied(true, null);
        this.lastExtensionError = null;
        this.appliedFingerprint = fp;
        return { applied: true, extensionError: null };
      } catch (err) {
        lastError = err instanceof Error ? err.message : String(err);
        ext.applied(false, lastError);
      }
    }
    // The kernel rolled the failed batch back, so the previous firewall is still whole.
    // Keep counting with the accounting part, report the error (once per new message)
    // and try again at the next ensure.
    if (lastError !== this.lastExtensionError) this.opts.log('error', `firewall rules not applied, previous ruleset kept: ${lastError}`);
    this.lastExtensionError = lastError;
    await this.nft.apply(desired.accounting);
    this.appliedFingerprint = `failed:${fp}`;
    return { applied: true, extensionError: lastError };
  }

  /**
   * deleteInterfaceCounters removes the per-interface counters of interfaces that are gone from
   * their sets: one batch, or one delete each when the batch fails. Returns the ones removed.
   */
  async deleteInterfaceCounters<T extends { set: string; iface: string }>(items: T[], sets: readonly string[]): Promise<T[]> {
    const cmd = (v: T) => `delete element ${TABLE_FAMILY} ${TABLE_NAME} ${v.set} { "${v.iface}" }`;
    const ok = items.filter((v) => isIfname(v.iface) && sets.includes(v.set));
    const run = this.applying.then(async () => {
      try {
        await this.nft.apply(ok.map(cmd));
        return ok;
      } catch {
        const done: T[] = [];
        for (const v of ok) {
          try {
            await this.nft.apply([cmd(v)]);
            done.push(v);
          } catch (err) {
            this.opts.log('warn', `could not remove the counter of vanished interface ${v.iface} from ${v.set}: ${err instanceof Error ? err.message : String(err)}`);
          }
        }
        return done;
      }
    });
    this.applying = run.catch(() => undefined);
    return run;
  }

  /** removeTable deletes our whole table (counters and firewall); false when there was none. */
  async removeTable(): Promise<boolean> {
    const run = this.applying.then(async () => {
      if ((await this.nft.listTable()) === null) return false;
      await this.nft.apply([`delete table ${TABLE_FAMILY} ${TABLE_NAME}`]);
      this.appliedFingerprint = null;
      return true;
    });
    this.applying = run.catch(() => undefined);
    return run;
  }
}
