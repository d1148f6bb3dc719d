import { connection } from 'next/server';
import { requireApiAuth } from '../../_data/auth';
import { readStore } from '../../_data/db';
import { createRule, getRulesView } from '../../_data/rules';
import { readJson, respond } from './respond';

/** GET /api/rules: every rule with its applied status, per-app defaults and caps, and the precedence. ?app=KEY narrows to one app. */
export async function GET(req: Request): Promise<Response> {
  await connection();
  const denied = await requireApiAuth(req);
  if (denied) return denied;
  const store = await readStore();
  if (store.state !== 'ok') return Response.json({ error: 'The store is not readable yet.', fields: {} }, { status: 503 });
  const app = new URL(req.url).searchParams.get('app') ?? undefined;
  const view = getRulesView(store.db, { app });
  if (!view) return Response.json({ error: 'The store has no rules table yet: restart the collector so it upgrades the database.', fields: {} }, { status: 503 });
  return Response.json(view, { headers: { 'cache-control': 'no-store' } });
}

/** POST /api/rules: add a rule ({ app, direction, action, … }); 400 with field errors when it is not valid. */
export async function POST(req: Request): Promise<Response> {
  await connection();
  const denied = await requireApiAuth(req);
  if (denied) return denied;
  const body = await readJson(req);
  if (!body.ok) return body.response;
  return respond(await createRule(body.body), 201);
}
