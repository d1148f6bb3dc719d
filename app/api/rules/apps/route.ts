import { connection } from 'next/server';
import { requireApiAuth } from '../../../_data/auth';
import { saveAppPolicy } from '../../../_data/rules';
import { readJson, respond } from '../respond';

/** PUT /api/rules/apps: set an app's defaults and data cap ({ app, defaultIn, defaultOut, quotaBytes, quotaNetwork, quotaCycleDay }). */
export async function PUT(req: Request): Promise<Response> {
  await connection();
  const denied = await requireApiAuth(req);
  if (denied) return denied;
  const body = await readJson(req);
  if (!body.ok) return body.response;
  return respond(await saveAppPolicy(body.body));
}
