/** One ranked app, exactly as the overview's app table draws it (app/_data/overview.ts builds it). */
export interface AppListItem {
  id: number;
  key: string;
  name: string;
  kind: string;
  rx: number;
  tx: number;
  spark: number[];
}
