import Link from 'next/link';

/** NotFound: an unknown page or app id. */
export default function NotFound() {
  return (
    <section className="panel empty">
      <h1>Not found</h1>
      <p>There is no such page or app. <Link href="/">Back to the overview</Link>.</p>
    </section>
  );
}
