import { connection } from 'next/server';
import { apiError, apiJson, apiResult, readJsonBody, storeError } from '../../_data/api';
import { requireApiAuth } from '../../_data/auth';
import { readStore } from '../../_data/db';
import { createRule, getRulesView } from '../../_data/rules';

/** GET /api/rules: every rule with its applied status, per-app defaults and caps, and the precedence. ?app=KEY narrows to one app. */
export async function GET(req: Request): Promise<Response> {
  await connection();
  const denied = await requireApiAuth(req);
  if (denied) return denied;
  const store = await readStore();
  if (store.state !== 'ok') return storeError(store) as Response;
  const app = new URL(req.url).searchParams.get('app') ?? undefined;
  const view = getRulesView(store.db, { app });
  if (!view) return apiError(503, 'no_database', 'The store has no rules table yet: restart the collector so it upgrades the database.');
  return apiJson(view);
}

/** POST /api/rules: add a rule ({ app, direction, action, … }); 400 with field errors when it is not valid. */
export async function POST(req: Request): Promise<Response> {
  await connection();
  const denied = await requireApiAuth(req);
  if (denied) return denied;
  const body = await readJsonBody(req);
  if (!body.ok) return body.response;
  return apiResult(await createRule(body.body), 201);
}
