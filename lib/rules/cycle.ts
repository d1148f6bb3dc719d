/** cycleStart is the unix second the billing cycle containing `now` began: local midnight of day `day` (1–28). */
export function cycleStart(now: number, day: number): number {
  const d = new Date(now * 1000);
  let start = new Date(d.getFullYear(), d.getMonth(), day, 0, 0, 0, 0);
  if (start.getTime() > d.getTime()) start = new Date(d.getFullYear(), d.getMonth() - 1, day, 0, 0, 0, 0);
  return Math.floor(start.getTime() / 1000);
}

/** nextCycleStart is when the cycle after the one containing `now` begins. */
export function nextCycleStart(now: number, day: number): number {
  const s = new Date(cycleStart(now, day) * 1000);
  return Math.floor(new Date(s.getFullYear(), s.getMonth() + 1, day, 0, 0, 0, 0).getTime() / 1000);
}
