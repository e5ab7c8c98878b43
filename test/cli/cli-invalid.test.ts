/**
 * Issue "Foundation", done when: asking for something invalid fails with a clear message
 * and changes nothing — through the real binary.
 */
import { beforeAll, expect, it } from 'vitest';
import { assertBuilt } from '../harness/cli.js';
import { engineering, ok, refused } from './shared.js';

beforeAll(async () => {
  assertBuilt();
  await engineering.build();
});

it('refuses each invalid request with a clear one-line message and leaves the deployment as it was', async () => {
  const cli = engineering.copy();
  const state = async () => ok(await cli.run(['--json', 'room', 'get'])).stdout + ok(await cli.run(['--json', 'category', 'get'])).stdout;
  const before = await state();

  // a 257-character name
  refused(await cli.run(['room', 'new', '--name', 'n'.repeat(257), '--category', 'Engineering']), 'INVALID_NAME', /257 characters long; the limit is 256/);
  refused(await cli.run(['category', 'new', '--name', 'c'.repeat(257)]), 'INVALID_NAME');
  // a duplicate name differing only in case
  refused(await cli.run(['room', 'new', '--name', 'DEV', '--category', 'Engineering']), 'NAME_TAKEN', /the name 'DEV' is not available/);
  refused(await cli.run(['category', 'new', '--name', 'engineering']), 'NAME_TAKEN');
  // a room named like a category
  refused(await cli.run(['room', 'new', '--name', 'ENGINEERING', '--category', 'Engineering']), 'NAME_TAKEN', /the name 'ENGINEERING' is not available/);
  refused(await cli.run(['room', 'set', 'Dev', '--name', 'Engineering']), 'NAME_TAKEN');
  // removing a non-empty category
  refused(await cli.run(['category', 'remove', 'Engineering']), 'CATEGORY_NOT_EMPTY', /still has 1 room; remove or move them first/);
  // a presenter on a normal room
  refused(await cli.run(['room', 'set', 'Dev', '--add-presenter', 'sip:ana@contoso.com']), 'PRESENTERS_REQUIRE_AUDITORIUM', /only in auditorium rooms/);
  // a member outside the category's scope
  refused(await cli.run(['room', 'set', 'Dev', '--add-member', 'sip:out@fabrikam.com']), 'PRINCIPAL_OUT_OF_SCOPE', /sip:out@fabrikam\.com/);
  refused(await cli.run(['room', 'new', '--name', 'X', '--category', 'Engineering', '--managers', 'sip:out@fabrikam.com']), 'PRINCIPAL_OUT_OF_SCOPE');
  // a principal nobody provisioned
  refused(await cli.run(['room', 'set', 'Dev', '--add-member', 'sip:ghost@contoso.com']), 'PRINCIPAL_NOT_PROVISIONED', /stoa principal add/);
  // a valid change refused with an invalid one in the same command is not half-applied
  refused(await cli.run(['room', 'set', 'Dev', '--description', 'changed', '--privacy', 'Open', '--add-manager', 'sip:out@fabrikam.com']), 'PRINCIPAL_OUT_OF_SCOPE');

  expect(await state()).toBe(before);
});
