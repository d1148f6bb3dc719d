import type { Metadata, Viewport } from 'next';
import type { ReactNode } from 'react';
import { AlertNotifier } from '../components/AlertNotifier';
import { ConnectionBanner } from '../components/ConnectionBanner';
import { NavLinks } from '../components/NavLinks';
import { requirePageAuth } from './_data/auth';
import './globals.css';

export const metadata: Metadata = {
  title: { default: 'appnet', template: '%s · appnet' },
  description: 'Which application used my network? Per-application traffic on this computer.',
  icons: { icon: '/icons/icon-192.png', apple: '/icons/icon-192.png' },
};

export const viewport: Viewport = {
  width: 'device-width',
  initialScale: 1,
  themeColor: [
    { media: '(prefers-color-scheme: light)', color: '#ffffff' },
    { media: '(prefers-color-scheme: dark)', color: '#171b21' },
  ],
};

/** RootLayout: sign-in check, top bar with navigation, the connection banner, then the page. */
export default async function RootLayout({ children }: { children: ReactNode }) {
  // Also makes every page dynamic, which the per-response CSP nonce needs.
  await requirePageAuth();
  return (
    <html lang="en">
      <head>
        {/* Credentials: the manifest and its icons sit behind the same login as the pages. */}
        <link rel="manifest" href="/manifest.webmanifest" crossOrigin="use-credentials" />
      </head>
      <body>
        <a className="skip" href="#main">Skip to content</a>
        <ConnectionBanner />
        <AlertNotifier />
        <header className="topbar">
          <a className="brand" href="/">
            <img src="/icons/icon-192.png" width={26} height={26} alt="" />
            appnet
          </a>
          <NavLinks />
          <span className="spacer" />
          {/* A plain form: /logout is served before Next.js and answers with a redirect to /login. */}
          <form method="post" action="/logout" className="signout">
            <button type="submit">Sign out</button>
          </form>
        </header>
        <main id="main" tabIndex={-1}>{children}</main>
      </body>
    </html>
  );
}
