import { connection } from 'next/server';
import { apiError, apiResult, readJsonBody } from '../../../_data/api';
import { requireApiAuth } from '../../../_data/auth';
import { deleteAppPolicy, saveAppPolicy } from '../../../_data/rules';

/** PUT /api/rules/apps: set an app's defaults and data cap ({ app, defaultIn, defaultOut, quotaBytes, quotaNetwork, quotaCycleDay }). */
export async function PUT(req: Request): Promise<Response> {
  await connection();
  const denied = await requireApiAuth(req);
  if (denied) return denied;
  const body = await readJsonBody(req);
  if (!body.ok) return body.response;
  return apiResult(await saveAppPolicy(body.body));
}

/** DELETE /api/rules/apps?app=KEY: remove an app's defaults and data cap; its rules stay. */
export async function DELETE(req: Request): Promise<Response> {
  await connection();
  const denied = await requireApiAuth(req);
  if (denied) return denied;
  const app = new URL(req.url).searchParams.get('app');
  if (!app) return apiError(400, 'bad_request', 'Name the app: DELETE /api/rules/apps?app=KEY.', { app: ['required'] });
  return apiResult(await deleteAppPolicy(app));
}
