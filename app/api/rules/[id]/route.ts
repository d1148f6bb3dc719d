import { connection } from 'next/server';
import { requireApiAuth } from '../../../_data/auth';
import { patchRule, removeRule } from '../../../_data/rules';
import { parseRuleId, readJson, respond } from '../respond';

type Ctx = { params: Promise<{ id: string }> };

/** PATCH /api/rules/:id: change some fields of a rule (e.g. { enabled: false }); the whole rule is re-validated. */
export async function PATCH(req: Request, ctx: Ctx): Promise<Response> {
  await connection();
  const denied = await requireApiAuth(req);
  if (denied) return denied;
  const id = parseRuleId((await ctx.params).id);
  if (id instanceof Response) return id;
  const body = await readJson(req);
  if (!body.ok) return body.response;
  return respond(await patchRule(id, body.body));
}

/** DELETE /api/rules/:id: remove a rule. */
export async function DELETE(req: Request, ctx: Ctx): Promise<Response> {
  await connection();
  const denied = await requireApiAuth(req);
  if (denied) return denied;
  const id = parseRuleId((await ctx.params).id);
  if (id instanceof Response) return id;
  return respond(await removeRule(id));
}
