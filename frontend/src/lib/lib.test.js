import { afterEach, describe, expect, it, vi } from 'vitest';
import { ApiError, apiFetch, readCookie } from './api.js';
import { describeAction, formatValue, stepLabel } from './format.js';
import { inlineTokens, markdownBlocks } from './markdown.jsx';
import { changeSummary, describeChange, timeAgo } from './history.js';
import { mockFetch } from '../test/fakes.js';

describe('stepLabel', () => {
  it('names each graph node in the user words', () => {
    expect(stepLabel('router')).toBe('Understanding…');
    expect(stepLabel('lead_matcher')).toBe('Finding the lead…');
    for (const node of ['create', 'update', 'change_status', 'delete', 'undo']) {
      expect(stepLabel(node)).toBe('Updating the lead…');
    }
    expect(stepLabel('query')).toBe('Looking up leads…');
    expect(stepLabel('respond')).toBe('Writing the reply…');
    expect(stepLabel(null)).toBe('Thinking…');
    expect(stepLabel('something_new')).toBe('Working…');
  });
});

describe('describeAction', () => {
  it('says which lead and what changed', () => {
    expect(
      describeAction({ type: 'update_lead', lead_name: 'Ann', changes: { phone: [null, '555'], email: ['a@x.io', null] } }),
    ).toEqual({ lead: 'Ann', change: 'Phone: 555, Email: —' });
    expect(describeAction({ type: 'create_lead', lead_name: 'Bo', changes: { status: [null, 'New'] } })).toEqual({
      lead: 'Bo',
      change: 'Created in New',
    });
    expect(describeAction({ type: 'delete_lead', lead_name: 'Cy', changes: {} }).change).toBe('Deleted');
    expect(describeAction({ type: 'undo', lead_name: 'Cy', changes: {} }).change).toBe('Undone');
  });
});

describe('markdownBlocks', () => {
  it('groups "- " lines into lists and keeps other lines as paragraphs', () => {
    expect(markdownBlocks('Two leads:\n- Ann\n- Bo\n\nThat is all.')).toEqual([
      { type: 'p', text: 'Two leads:' },
      { type: 'ul', items: ['Ann', 'Bo'] },
      { type: 'p', text: 'That is all.' },
    ]);
    expect(markdownBlocks('')).toEqual([]);
  });

  it('tells numbered lists from bullet lists', () => {
    expect(markdownBlocks('1. Ann\n2) Bo\n* Cy')).toEqual([
      { type: 'ol', items: ['Ann', 'Bo'] },
      { type: 'ul', items: ['Cy'] },
    ]);
  });
});

describe('inlineTokens', () => {
  it('finds bold, italic and code, and leaves the rest as text', () => {
    expect(inlineTokens('Moved **John Smith** to *Won* (`id 7`).')).toEqual([
      { type: 'text', text: 'Moved ' },
      { type: 'strong', text: 'John Smith' },
      { type: 'text', text: ' to ' },
      { type: 'em', text: 'Won' },
      { type: 'text', text: ' (' },
      { type: 'code', text: 'id 7' },
      { type: 'text', text: ').' },
    ]);
  });

  it('does not treat snake_case, lone stars or HTML as markup', () => {
    expect(inlineTokens('snake_case_name and 2 * 3 * 4')).toEqual([{ type: 'text', text: 'snake_case_name and 2 * 3 * 4' }]);
    expect(inlineTokens('<b>x</b>')).toEqual([{ type: 'text', text: '<b>x</b>' }]);
  });
});

describe('change history lines', () => {
  const now = Date.parse('2026-11-29T10:00:00Z');
  const lead = { name: 'John', status: 'Contacted', phone: null, value: 10 };

  it('says what changed, who did it, how and when', () => {
    const change = {
      op: 'update',
      source: 'chat',
      user_name: 'demo',
      user_id: '1',
      before: lead,
      after: { ...lead, status: 'Won' },
      at: '2026-11-29T09:58:00Z',
    };
    expect(describeChange(change, now)).toBe('Moved to Won by demo via chat, 2 min ago');
    expect(changeSummary({ ...change, after: { ...lead, phone: '555', value: 20 } })).toBe('Changed phone, value');
    expect(changeSummary({ op: 'create', after: lead })).toBe('Created in Contacted');
    expect(describeChange({ op: 'delete', source: 'board', user_name: 'bob', before: lead, after: null, at: '2026-11-29T10:00:00Z' }, now)).toBe(
      'Deleted by bob on the board, just now',
    );
  });

  it('reads ages in minutes, hours and days', () => {
    expect(timeAgo('2026-11-29T07:00:00Z', now)).toBe('3 h ago');
    expect(timeAgo('2026-11-28T09:00:00Z', now)).toBe('yesterday');
    expect(timeAgo('2026-11-25T10:00:00Z', now)).toBe('4 days ago');
    expect(timeAgo('not a date', now)).toBe('');
  });
});

describe('formatValue', () => {
  it('formats money and leaves missing values empty', () => {
    expect(formatValue(12000)).toBe('$12,000');
    expect(formatValue(null)).toBe('');
  });
});

describe('apiFetch', () => {
  afterEach(() => {
    document.cookie = 'csrftoken=; expires=Thu, 01 Jan 1970 00:00:00 GMT';
  });

  it('reads the CSRF cookie', () => {
    document.cookie = 'other=1';
    document.cookie = 'csrftoken=abc%3D';
    expect(readCookie('csrftoken')).toBe('abc=');
    expect(readCookie('missing')).toBe('');
  });

  it('turns error answers into ApiError with the server detail, status and type', async () => {
    mockFetch({ 'GET /api/x/': [409, { detail: 'Stale version.', type: 'conflict' }] });
    const err = await apiFetch('/api/x/').catch((e) => e);
    expect(err).toBeInstanceOf(ApiError);
    expect(err).toMatchObject({ message: 'Stale version.', status: 409, type: 'conflict' });
  });

  it('reports an unreachable server as a network error', async () => {
    mockFetch({ 'GET /api/x/': new TypeError('Failed to fetch') });
    const err = await apiFetch('/api/x/').catch((e) => e);
    expect(err).toMatchObject({ status: 0, type: 'network' });
    expect(err.message).toMatch(/Cannot reach the server/);
  });

  it('sends the browser to the login page on 401', async () => {
    const assign = vi.fn();
    vi.stubGlobal('location', { ...window.location, pathname: '/', search: '', assign });
    mockFetch({ 'GET /api/me/': [401, { detail: 'Sign in first.', type: 'unauthorized' }] });
    await expect(apiFetch('/api/me/')).rejects.toMatchObject({ status: 401 });
    expect(assign).toHaveBeenCalledWith('/accounts/login/?next=%2F');
  });
});
