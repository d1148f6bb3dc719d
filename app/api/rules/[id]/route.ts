import { connection } from 'next/server';
import { apiResult, readId, readJsonBody } from '../../../_data/api';
import { requireApiAuth } from '../../../_data/auth';
import { deleteRule, patchRule } from '../../../_data/rules';

type Ctx = { params: Promise<{ id: string }> };

/** PATCH /api/rules/:id: change some fields of a rule (e.g. { enabled: false }); the whole rule is re-validated. */
export async function PATCH(req: Request, ctx: Ctx): Promise<Response> {
  await connection();
  const denied = await requireApiAuth(req);
  if (denied) return denied;
  const id = readId((await ctx.params).id, 'rule');
  if (id instanceof Response) return id;
  const body = await readJsonBody(req);
  if (!body.ok) return body.response;
  return apiResult(await patchRule(id, body.body));
}

/** DELETE /api/rules/:id: remove a rule. */
export async function DELETE(req: Request, ctx: Ctx): Promise<Response> {
  await connection();
  const denied = await requireApiAuth(req);
  if (denied) return denied;
  const id = readId((await ctx.params).id, 'rule');
  if (id instanceof Response) return id;
  return apiResult(await deleteRule(id));
}
