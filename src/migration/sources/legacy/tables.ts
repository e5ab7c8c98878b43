/**
 * The legacy tables Stoa reads (D3, spec 02 §2 and 01 §6), column by column: the name in
 * the dump's header, the type its values must have, and whether the column (or its value)
 * must be there. Both shapes are covered: Lync 2010's hierarchical tblNode (inheritance,
 * scopeChange, overrideMember, restrictChildCreate, topic) and the flat 2013 / SfB 2015
 * one (siopID, scopeIsDenied, the Creator role).
 */

export type ColumnType = 'int' | 'bit' | 'guid' | 'text' | 'time';

export interface ColumnSpec {
  name: string;
  type: ColumnType;
  /** The header must name this column. */
  required?: boolean;
  /** A row must give a value (NULL refused). */
  notNull?: boolean;
  /**
   * NOT NULL text in the legacy schema: a bare `NULL` there is the text "NULL" (a message
   * that says NULL), never a missing value.
   */
  textNotNull?: boolean;
}

export interface TableSpec {
  table: string;
  /** A dump may leave this table out. */
  optional?: boolean;
  columns: ColumnSpec[];
  /** Columns that together identify a row: a second row with the same values is refused. */
  key: string[];
}

const col = (name: string, type: ColumnType, flags: 'req' | 'req!' | '' = ''): ColumnSpec => ({
  name,
  type,
  ...(flags !== '' ? { required: true } : {}),
  ...(flags === 'req!' ? { notNull: true } : {}),
  ...(type === 'text' && flags === 'req!' ? { textNotNull: true } : {}),
});

export const TABLES: readonly TableSpec[] = [
  {
    table: 'tblPrincipal',
    key: ['prinID'],
    columns: [
      col('prinID', 'int', 'req!'),
      col('prinGuid', 'guid'),
      col('prinUri', 'text', 'req'),
      col('prinName', 'text'),
      col('prinDisplayName', 'text'),
      col('prinCompanyName', 'text'),
      col('prinEmail', 'text'),
      col('prinADPath', 'text'),
      col('prinADUserPrincipalName', 'text'),
      col('prinDisabled', 'int'),
      col('prinTypeID', 'int', 'req!'),
      col('prinAddedOn', 'time'),
      col('prinUpdatedOn', 'time'),
    ],
  },
  {
    table: 'tblPrincipalAffiliations',
    key: ['principalID', 'affiliationID'],
    columns: [col('principalID', 'int', 'req!'), col('affiliationID', 'int', 'req!'), col('index', 'int')],
  },
  {
    table: 'tblSiopWhiteList',
    key: ['siopID'],
    columns: [col('siopID', 'guid', 'req!'), col('siopName', 'text', 'req!'), col('siopUrl', 'text', 'req!')],
  },
  {
    table: 'tblNode',
    key: ['nodeID'],
    columns: [
      col('nodeID', 'int', 'req!'),
      col('nodeGuid', 'guid', 'req!'),
      col('parentID', 'int', 'req!'),
      col('nodeType', 'bit', 'req!'),
      col('nodeName', 'text', 'req!'),
      col('nodeDesc', 'text'),
      col('topic', 'text'),
      col('inheritance', 'bit'),
      col('scopeChange', 'bit'),
      col('overrideMember', 'bit'),
      col('invite', 'bit'),
      col('logged', 'bit'),
      col('filePost', 'bit'),
      col('disabled', 'bit'),
      col('restrictChildCreate', 'bit'),
      col('behavior', 'int'),
      col('visibility', 'int'),
      col('siopID', 'guid'),
      col('nodeAddedBy', 'int'),
      col('nodeAddedOn', 'time'),
      col('nodeUpdatedBy', 'int'),
      col('nodeUpdatedOn', 'time'),
    ],
  },
  {
    table: 'tblRoleType',
    key: ['rtypeID'],
    columns: [col('rtypeID', 'int', 'req!'), col('rtypeDesc', 'text', 'req!')],
  },
  {
    table: 'tblScopePrincipal',
    key: ['scopeNodeID', 'scopePrinID'],
    columns: [col('scopeNodeID', 'int', 'req!'), col('scopePrinID', 'int', 'req!'), col('scopeIsDenied', 'bit')],
  },
  {
    table: 'tblPrincipalRole',
    key: ['prinRoleNodeID', 'prinRolePrinID', 'prinRoleTypeID'],
    columns: [col('prinRoleNodeID', 'int', 'req!'), col('prinRolePrinID', 'int', 'req!'), col('prinRoleTypeID', 'int', 'req!')],
  },
  {
    table: 'tblPrincipalInvites',
    optional: true,
    key: ['prinID', 'nodeID'],
    columns: [col('prinID', 'int', 'req!'), col('invID', 'int'), col('nodeID', 'int', 'req!'), col('createdOn', 'time')],
  },
  {
    table: 'tblChat',
    key: ['channelId', 'chatId'],
    columns: [
      col('channelId', 'int', 'req!'),
      col('chatId', 'int', 'req!'),
      col('chatDate', 'time', 'req!'),
      col('userId', 'int', 'req!'),
      col('isAlert', 'bit'),
      // nvarchar(max) NOT NULL in the legacy schema (02 §2.9): an empty field is an empty
      // message (older dumps), the word NULL is the text NULL.
      { ...col('content', 'text', 'req'), textNotNull: true },
      col('rtf', 'text'),
    ],
  },
];

/** The columns whose presence marks the Lync 2010 hierarchical tblNode. */
export const HIERARCHICAL_COLUMNS = ['inheritance', 'scopeChange', 'overrideMember', 'restrictChildCreate', 'topic'] as const;
