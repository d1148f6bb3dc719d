/** What the kernel holds for a rule or an app's settings, as shown to people. */
export type ApplyStatus = 'applied' | 'pending' | 'error' | 'disabled';

/** applyStatus derives the status from the stored versions: applied when the kernel holds the current version. */
export function applyStatus(r: { enabled?: number | boolean; version: number; appliedVersion: number; lastError: string | null }): ApplyStatus {
  if (r.appliedVersion !== r.version) return r.lastError ? 'error' : 'pending';
  if (r.lastError) return 'error';
  return r.enabled === 0 || r.enabled === false ? 'disabled' : 'applied';
}
