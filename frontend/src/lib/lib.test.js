import { afterEach, describe, expect, it, vi } from 'vitest';
import { ApiError, apiFetch, readCookie } from './api.js';
import { describeAction, formatValue, replyBlocks, stepLabel } from './format.js';
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

describe('replyBlocks', () => {
  it('groups "- " lines into lists and keeps other lines as paragraphs', () => {
    expect(replyBlocks('Two leads:\n- Ann\n- Bo\n\nThat is all.')).toEqual([
      { type: 'p', text: 'Two leads:' },
      { type: 'ul', items: ['Ann', 'Bo'] },
      { type: 'p', text: 'That is all.' },
    ]);
    expect(replyBlocks('')).toEqual([]);
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
