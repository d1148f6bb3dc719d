import styles from './Rules.module.css';

/** NftPreview shows the nftables rules a form becomes, or a note saying why there are none yet. */
export function NftPreview({ preview, testId }: { preview: { lines: string[] } | { note: string }; testId: string }) {
  return (
    <details open>
      <summary className="small muted">nftables rules this becomes</summary>
      <pre className={styles.preview} data-testid={testId}>{'lines' in preview ? preview.lines.join('\n') : preview.note}</pre>
    </details>
  );
}
