import { reportRoute } from '../../_data/report';

/** GET /api/usage: bytes per app (or per app and interface, or per app and day) over a period, as JSON. */
export const GET = reportRoute('json', ({ body }) =>
  new Response(body, { headers: { 'content-type': 'application/json', 'cache-control': 'no-store' } }),
);
