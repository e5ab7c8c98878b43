import { expect } from 'vitest';
import { deploymentTemplate, expectOk, type CliResult } from '../harness/cli.js';

export const ok = expectOk;

/** Refused: exit 1, nothing on stdout, one line on stderr ending with the code. */
export function refused(r: CliResult, code: string, message?: RegExp): void {
  expect(r.code).toBe(1);
  expect(r.stdout).toBe('');
  const lines = r.stderr.trim().split('\n');
  expect(lines).toHaveLength(1);
  expect(lines[0]).toMatch(new RegExp(`^stoa: .*\\[${code}\\]$`));
  if (message) expect(lines[0]).toMatch(message);
}

/** A small deployment: a domain, a group, three users, one category, one room. */
export const engineering = deploymentTemplate(async (cli) => {
  ok(await cli.run(['principal', 'add', 'contoso.com', '--kind', 'domain']));
  ok(await cli.run(['principal', 'add', 'CN=Eng,OU=Groups,DC=contoso,DC=com', '--kind', 'group']));
  ok(await cli.run(['principal', 'add', 'sip:ana@contoso.com', '--kind', 'user', '--member-of', 'CN=Eng,OU=Groups,DC=contoso,DC=com']));
  ok(await cli.run(['principal', 'add', 'sip:ben@contoso.com', '--kind', 'user']));
  ok(await cli.run(['principal', 'add', 'sip:out@fabrikam.com', '--kind', 'user']));
  ok(await cli.run(['category', 'new', '--name', 'Engineering', '--allowed-members', 'contoso.com', '--creators', 'CN=Eng,OU=Groups,DC=contoso,DC=com']));
  ok(await cli.run(['room', 'new', '--name', 'Dev', '--category', 'Engineering', '--members', 'sip:ana@contoso.com']));
});
