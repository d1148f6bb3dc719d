/** The demo dashboard's own passwd and group: the host's entries, any appnet dropped, appnet added on an unused id. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { demoEtc, freeId } from '../../collector/sandbox/demo-account';

test('the demo account takes the first id neither file uses, and replaces a host appnet entry', () => {
  const passwd = 'root:x:0:0:root:/root:/bin/bash\nsvc:x:900:900::/:/usr/sbin/nologin\nappnet:x:950:950::/nonexistent:/usr/sbin/nologin\n';
  const group = 'root:x:0:\nsvc:x:900:\nwheel:x:901:\nappnet:x:950:\n';
  assert.equal(freeId(passwd, group), 902);
  const e = demoEtc(passwd, group);
  assert.equal(e.id, 902);
  assert.deepEqual(e.passwd.trim().split('\n').slice(-1), ['appnet:x:902:902:appnet demo dashboard:/nonexistent:/usr/sbin/nologin']);
  assert.equal(e.passwd.match(/^appnet:/gm)?.length, 1);
  assert.deepEqual(e.group.trim().split('\n').slice(-1), ['appnet:x:902:']);
  assert.ok(e.passwd.startsWith('root:x:0:0:'), 'the host\'s other entries are kept');
});
