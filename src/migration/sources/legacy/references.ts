/**
 * Every reference between legacy tables must lead somewhere: a dump with a dangling one
 * (a message in a room that is not in tblNode, a role of a principal that is not in
 * tblPrincipal ...) is refused before anything is converted, naming the first offender.
 */
import type Database from 'better-sqlite3';
import { AppError } from '../../../domain/errors.js';

interface Reference {
  from: string;
  column: string;
  to: string;
  key: string;
  /** Extra condition on the target row (e.g. rooms only). */
  where?: string;
  what: string;
}

const REFERENCES: readonly Reference[] = [
  { from: 'tblPrincipalAffiliations', column: 'principalID', to: 'tblPrincipal', key: 'prinID', what: 'principal' },
  { from: 'tblPrincipalAffiliations', column: 'affiliationID', to: 'tblPrincipal', key: 'prinID', what: 'principal' },
  { from: 'tblNode', column: 'siopID', to: 'tblSiopWhiteList', key: 'siopID', what: 'add-in' },
  { from: 'tblScopePrincipal', column: 'scopeNodeID', to: 'tblNode', key: 'nodeID', where: 'nodeType = 1', what: 'category' },
  { from: 'tblScopePrincipal', column: 'scopePrinID', to: 'tblPrincipal', key: 'prinID', what: 'principal' },
  { from: 'tblPrincipalRole', column: 'prinRoleNodeID', to: 'tblNode', key: 'nodeID', what: 'node' },
  { from: 'tblPrincipalRole', column: 'prinRolePrinID', to: 'tblPrincipal', key: 'prinID', what: 'principal' },
  { from: 'tblPrincipalRole', column: 'prinRoleTypeID', to: 'tblRoleType', key: 'rtypeID', what: 'role type' },
  { from: 'tblPrincipalInvites', column: 'prinID', to: 'tblPrincipal', key: 'prinID', what: 'principal' },
  { from: 'tblPrincipalInvites', column: 'nodeID', to: 'tblNode', key: 'nodeID', where: 'nodeType = 0', what: 'room' },
  { from: 'tblChat', column: 'channelId', to: 'tblNode', key: 'nodeID', where: 'nodeType = 0', what: 'room' },
  { from: 'tblChat', column: 'userId', to: 'tblPrincipal', key: 'prinID', what: 'principal' },
];

export function checkReferences(db: Database.Database): void {
  for (const r of REFERENCES) {
    const row = db
      .prepare(
        `SELECT f."${r.column}" AS value, f._line AS line, (SELECT COUNT(*) FROM "${r.from}" g WHERE g."${r.column}" IS NOT NULL AND NOT EXISTS (SELECT 1 FROM "${r.to}" u WHERE u."${r.key}" = g."${r.column}"${r.where === undefined ? '' : ` AND u.${r.where}`})) AS n
         FROM "${r.from}" f WHERE f."${r.column}" IS NOT NULL AND NOT EXISTS (SELECT 1 FROM "${r.to}" t WHERE t."${r.key}" = f."${r.column}"${r.where === undefined ? '' : ` AND t.${r.where}`}) ORDER BY f._line LIMIT 1`,
      )
      .get() as { value: string | number; line: number; n: number } | undefined;
    if (row !== undefined) {
      const more = row.n > 1 ? ` (and ${row.n - 1} more rows like it)` : '';
      throw new AppError('MIGRATION_INVALID', `${r.from}.csv:${row.line}: ${r.column} ${row.value} is not a ${r.what} in ${r.to}.csv${more}`);
    }
  }
}
