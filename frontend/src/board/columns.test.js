import { describe, expect, it } from 'vitest';
import { EMPTY_COLUMN, columnCount, columnValue, matchesQuery, withLead, withPage, withoutLead } from './columns.js';

const lead = (id, status, extra = {}) => ({ id, name: `Lead ${id}`, status, version: 1, ...extra });

function board(pages) {
  return Object.fromEntries(
    Object.entries(pages).map(([stage, [leads, total]]) => [stage, withPage(EMPTY_COLUMN, leads, total)]),
  );
}

describe('board columns', () => {
  it('moves a loaded lead between columns and keeps both counts right', () => {
    const start = board({ New: [[lead('a', 'New')], 1], Won: [[], 0] });
    const moved = withLead(start, lead('a', 'Won', { version: 2 }));
    expect(moved.New).toMatchObject({ leads: [], total: 0 });
    expect(moved.Won.total).toBe(1);
    // The same change again (its event after this tab's own answer) changes nothing more.
    expect(withLead(moved, lead('a', 'Won', { version: 2 }))).toEqual(moved);
  });

  it('counts a lead that was beyond the loaded page once it moves in or out', () => {
    const start = board({ New: [[lead('a', 'New')], 300], Won: [[], 0] });
    const moved = withLead(start, lead('z', 'Won'), 'New');
    expect(moved.New.total).toBe(299);
    expect(moved.Won).toMatchObject({ total: 1, leads: [lead('z', 'Won')] });
    // Changed but staying in a column where it is not loaded: nothing to show.
    expect(withLead(start, lead('y', 'New'), 'New')).toBe(start);
  });

  it('only counts an arrival in a column that already shows enough cards', () => {
    const start = board({ New: [[lead('a', 'New'), lead('b', 'New')], 2] });
    const next = withLead(start, lead('c', 'New'), null, 2);
    expect(next.New.leads.map((l) => l.id)).toEqual(['a', 'b']);
    expect(next.New.total).toBe(3);
  });

  it('does not count a delete twice (this tab removed it, then its event arrives)', () => {
    const start = board({ New: [[lead('a', 'New'), lead('b', 'New')], 2] });
    const once = withoutLead(start, 'a', 'New');
    expect(once.New.total).toBe(1);
    expect(withoutLead(once, 'a', 'New')).toBe(once);
  });

  it('appends a page without showing a lead twice', () => {
    const column = withPage(EMPTY_COLUMN, [lead('a', 'New'), lead('b', 'New')], 3);
    const next = withPage(column, [lead('b', 'New'), lead('c', 'New')], 3);
    expect(next.leads.map((l) => l.id)).toEqual(['a', 'b', 'c']);
    expect(withPage(EMPTY_COLUMN, [lead('a', 'New')], undefined).total).toBeNull();
  });

  it('shows the summary when not searching, and no partial sum', () => {
    const column = withPage(EMPTY_COLUMN, [lead('a', 'New', { value: 5 })], 10);
    expect(columnCount(column, { count: 10, value: 900 }, false)).toBe(10);
    expect(columnValue(column, { count: 10, value: 900 }, false)).toBe(900);
    expect(columnCount(column, { count: 10, value: 900 }, true)).toBe(10);
    expect(columnValue(column, null, true)).toBeNull(); // 1 of 10 loaded: the sum is unknown
    expect(columnValue(withPage(EMPTY_COLUMN, [lead('a', 'New', { value: 5 })], 1), null, true)).toBe(5);
  });

  it('matches a search roughly as the server does', () => {
    expect(matchesQuery({ name: 'Ann Lee', company: 'Acme', email: null }, 'acm')).toBe(true);
    expect(matchesQuery({ name: 'Ann Lee' }, 'bo')).toBe(false);
    expect(matchesQuery({ name: 'Ann Lee' }, '  ')).toBe(true);
  });
});
