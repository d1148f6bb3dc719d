'use client';
import Link from 'next/link';
import { usePathname } from 'next/navigation';
import { LinkPending } from './LinkPending';

const LINKS = [
  { href: '/', label: 'Overview' },
  { href: '/networks', label: 'Networks' },
  { href: '/rules', label: 'Rules' },
  { href: '/health', label: 'Health' },
];

/** NavLinks is the main navigation, marking the current section. */
export function NavLinks() {
  const path = usePathname();
  return (
    <nav className="nav" aria-label="Main">
      {LINKS.map((l) => {
        const active = l.href === '/' ? path === '/' || path.startsWith('/apps') : path.startsWith(l.href);
        return (
          <Link key={l.href} prefetch={false} href={l.href} className={active ? 'active' : undefined} aria-current={active ? 'page' : undefined}>
            {l.label}
            <LinkPending />
          </Link>
        );
      })}
    </nav>
  );
}
