import { describe, expect, it } from 'vitest';
import { chooseDatabase, governingRecord, parseRecord, type DatabaseProbe, type PoolStateRecord } from './failover.js';
import { isAppError } from '../domain/errors.js';

const NORMAL0: PoolStateRecord = { state: 'Normal', epoch: 0, changedAt: 0 };
const probe = (role: 'primary' | 'backup', up: 'writable' | 'standby' | 'down', record: PoolStateRecord = NORMAL0): DatabaseProbe => ({
  role,
  url: `postgres://stoa:secret@${role}/stoa`,
  reachable: up !== 'down',
  writable: up === 'writable',
  record,
  ...(up === 'down' ? { error: 'connect ECONNREFUSED' } : {}),
});
const failed = (epoch: number): PoolStateRecord => ({ state: 'FailedOver', epoch, changedAt: 1 });
const normal = (epoch: number): PoolStateRecord => ({ state: 'Normal', epoch, changedAt: 1 });

function refusal(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    if (isAppError(err)) return `${err.code}: ${err.message}`;
    throw err;
  }
  throw new Error('expected a refusal');
}

describe('the pool state: which database a process uses', () => {
  it('uses the primary while nothing was set, the backup a standby', () => {
    expect(chooseDatabase(probe('primary', 'writable'), probe('backup', 'standby')).role).toBe('primary');
  });

  it('does not use a promoted backup until the state is FailedOver', () => {
    const message = refusal(() => chooseDatabase(probe('primary', 'down'), probe('backup', 'writable')));
    expect(message).toMatch(/^DATABASE_UNAVAILABLE: the pool state is Normal \(epoch 0\), so the pool uses its primary database, which does not answer/);
    expect(message).toContain('promote the backup, then stoa pool state set FailedOver');
    expect(chooseDatabase(probe('primary', 'down'), probe('backup', 'writable', failed(1))).role).toBe('backup');
  });

  it('stays on the backup when the old primary comes back as it was (an older epoch)', () => {
    expect(chooseDatabase(probe('primary', 'writable', normal(3)), probe('backup', 'writable', failed(4))).role).toBe('backup');
    // Rebuilt from the backup and promoted, it holds the backup's record until set Normal.
    const message = refusal(() => chooseDatabase(probe('primary', 'writable', failed(4)), probe('backup', 'down', failed(4))));
    expect(message).toContain('the pool state is FailedOver (epoch 4), so the pool uses its backup database, which does not answer');
    expect(message).toContain('stoa pool state set Normal');
    expect(chooseDatabase(probe('primary', 'writable', normal(5)), probe('backup', 'writable', failed(4))).role).toBe('primary');
  });

  it('ignores the record of a standby, and the primary wins a tie', () => {
    expect(governingRecord(probe('primary', 'standby', failed(9)), probe('backup', 'writable', normal(2)))).toEqual({ record: normal(2), from: 'backup' });
    expect(governingRecord(probe('primary', 'writable', normal(2)), probe('backup', 'writable', failed(2)))?.from).toBe('primary');
    expect(governingRecord(probe('primary', 'down'), probe('backup', 'standby'))).toBeUndefined();
    expect(refusal(() => chooseDatabase(probe('primary', 'down'), probe('backup', 'standby')))).toMatch(/^DATABASE_UNAVAILABLE: neither of the pool's databases accepts writes/);
  });

  it('never prints a password', () => {
    expect(refusal(() => chooseDatabase(probe('primary', 'down'), probe('backup', 'standby')))).not.toContain('secret');
  });

  it('reads a damaged record as never set', () => {
    for (const raw of [undefined, '', 'not json', '[]', 'null', '{"state":"Sideways","epoch":1}', '{"state":"Normal","epoch":-1}', '{"state":"Normal","epoch":1.5}', '{"state":"FailedOver"}']) {
      expect(parseRecord(raw)).toEqual(NORMAL0);
    }
    expect(parseRecord('{"state":"FailedOver","epoch":7,"changedAt":"x"}')).toEqual({ state: 'FailedOver', epoch: 7, changedAt: 0 });
  });
});
