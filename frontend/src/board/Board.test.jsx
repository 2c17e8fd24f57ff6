import { act, render, renderHook, screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { beforeEach, describe, expect, it } from 'vitest';
import Board, { columnCoordinates } from './Board.jsx';
import { useBoard } from './useBoard.js';
import { deferred, mockFetch } from '../test/fakes.js';

const STAGES = ['New', 'Contacted', 'Won'];

function lead(id, name, status, extra = {}) {
  return { id, name, status, company: null, email: null, phone: null, value: null, notes: null, version: 1, ...extra };
}

const ANN = lead('1', 'Ann Lee', 'New', { company: 'Acme', value: 12000 });
const BO = lead('2', 'Bo Chen', 'New');
const CY = lead('3', 'Cy Diaz', 'Won', { company: 'Globex', value: 500 });

function boardRoutes(leads, extra = {}) {
  return {
    'GET /api/pipeline/': [200, { statuses: STAGES }],
    'GET /api/leads/': () => [200, { leads: leads() }],
    ...extra,
  };
}

function column(stage) {
  return screen.getByRole('region', { name: stage });
}

function findColumn(stage) {
  return screen.findByRole('region', { name: stage });
}

beforeEach(() => {
  document.cookie = 'csrftoken=tok123';
});

describe('Board', () => {
  it('shows one column per stage with counts and cards (name, company, value)', async () => {
    mockFetch(boardRoutes(() => [ANN, BO, CY]));
    render(<Board />);
    expect(await within(await findColumn('New')).findByText('Ann Lee')).toBeInTheDocument();
    expect(within(column('New')).getByLabelText('2 leads')).toHaveTextContent('2');
    expect(within(column('Contacted')).getByLabelText('0 leads')).toHaveTextContent('0');
    expect(within(column('Contacted')).getByText('No leads')).toBeInTheDocument();
    const card = within(column('Won')).getByText('Cy Diaz').closest('.card');
    expect(card).toHaveTextContent('Globex');
    expect(card).toHaveTextContent('$500');
    expect(within(column('New')).getByText('$12,000', { selector: '.card-value' })).toBeInTheDocument();
  });

  it('reloads when the chat reports changed leads', async () => {
    let leads = [ANN];
    mockFetch(boardRoutes(() => leads));
    render(<Board />);
    await within(await findColumn('New')).findByText('Ann Lee');
    leads = [{ ...ANN, status: 'Won', version: 2 }];
    act(() => {
      window.dispatchEvent(new CustomEvent('crm:leads-changed', { detail: { actions: [] } }));
    });
    expect(await within(await findColumn('Won')).findByText('Ann Lee')).toBeInTheDocument();
    expect(within(column('New')).queryByText('Ann Lee')).not.toBeInTheDocument();
  });

  it('searches on the server after the user pauses typing', async () => {
    const calls = mockFetch(
      boardRoutes(() => [ANN, BO], { 'GET /api/leads/?q=acme': [200, { leads: [ANN] }] }),
    );
    const user = userEvent.setup();
    render(<Board />);
    await within(await findColumn('New')).findByText('Bo Chen');
    await user.type(screen.getByRole('searchbox', { name: 'Search leads' }), 'acme');
    await waitFor(() => expect(within(column('New')).queryByText('Bo Chen')).not.toBeInTheDocument());
    expect(within(column('New')).getByText('Ann Lee')).toBeInTheDocument();
    const searches = calls.filter((c) => c.url.startsWith('/api/leads/?'));
    expect(searches.map((c) => c.url)).toEqual(['/api/leads/?q=acme']);
  });

  it('adds a lead from the form, sending only the filled fields', async () => {
    let leads = [ANN];
    const calls = mockFetch(
      boardRoutes(() => leads, {
        'POST /api/leads/': (call) => {
          const created = lead('9', call.body.name, call.body.status, call.body);
          leads = [...leads, created];
          return [201, created];
        },
      }),
    );
    const user = userEvent.setup();
    render(<Board />);
    await within(await findColumn('New')).findByText('Ann Lee');
    await user.click(screen.getByRole('button', { name: 'New lead' }));
    const dialog = screen.getByRole('dialog', { name: 'New lead' });
    expect(within(dialog).getByLabelText('Name')).toHaveFocus();
    await user.type(within(dialog).getByLabelText('Name'), 'Sarah Lee');
    await user.type(within(dialog).getByLabelText('Company'), 'TechCorp');
    await user.type(within(dialog).getByLabelText('Value ($)'), '2500');
    await user.selectOptions(within(dialog).getByLabelText('Stage'), 'Contacted');
    await user.click(within(dialog).getByRole('button', { name: 'Add lead' }));
    expect(await within(await findColumn('Contacted')).findByText('Sarah Lee')).toBeInTheDocument();
    expect(screen.queryByRole('dialog')).not.toBeInTheDocument();
    const post = calls.find((c) => c.method === 'POST');
    expect(post.body).toEqual({ name: 'Sarah Lee', company: 'TechCorp', value: 2500, status: 'Contacted' });
    expect(post.headers['X-CSRFToken']).toBe('tok123');
  });

  it('shows the server refusal in the form and keeps it open', async () => {
    mockFetch(
      boardRoutes(() => [ANN], {
        'POST /api/leads/': [422, { detail: 'Invalid input: email: not a valid email address', type: 'invalid_input' }],
      }),
    );
    const user = userEvent.setup();
    render(<Board />);
    await within(await findColumn('New')).findByText('Ann Lee');
    await user.click(screen.getByRole('button', { name: 'New lead' }));
    const dialog = screen.getByRole('dialog', { name: 'New lead' });
    await user.type(within(dialog).getByLabelText('Name'), 'X');
    await user.type(within(dialog).getByLabelText('Email'), 'nope');
    await user.click(within(dialog).getByRole('button', { name: 'Add lead' }));
    expect(await within(dialog).findByRole('alert')).toHaveTextContent('not a valid email address');
    expect(screen.getByRole('dialog', { name: 'New lead' })).toBeInTheDocument();
  });

  it('refuses a lead without a name before calling the server', async () => {
    const calls = mockFetch(boardRoutes(() => []));
    const user = userEvent.setup();
    render(<Board />);
    await user.click(await screen.findByRole('button', { name: 'New lead' }));
    await user.click(screen.getByRole('button', { name: 'Add lead' }));
    expect(screen.getByRole('alert')).toHaveTextContent('A lead needs a name.');
    expect(calls.filter((c) => c.method === 'POST')).toHaveLength(0);
  });

  it('edits a lead with its version, sending only the changed fields', async () => {
    let leads = [ANN];
    const calls = mockFetch(
      boardRoutes(() => leads, {
        'PATCH /api/leads/1/': (call) => {
          leads = [{ ...ANN, ...call.body, version: 2 }];
          return [200, leads[0]];
        },
      }),
    );
    const user = userEvent.setup();
    render(<Board />);
    await user.click(await within(await findColumn('New')).findByText('Ann Lee'));
    const dialog = screen.getByRole('dialog', { name: 'Edit Ann Lee' });
    await user.type(within(dialog).getByLabelText('Phone'), '555-0100');
    await user.click(within(dialog).getByRole('button', { name: 'Save' }));
    await waitFor(() => expect(screen.queryByRole('dialog')).not.toBeInTheDocument());
    expect(calls.find((c) => c.method === 'PATCH').body).toEqual({ phone: '555-0100', version: 1 });
  });

  it('explains a 409 on save and loads the latest version into the panel', async () => {
    const fresh = { ...ANN, phone: '111', version: 3 };
    let patches = 0;
    const calls = mockFetch(
      boardRoutes(() => [ANN], {
        'GET /api/leads/1/': [200, fresh],
        'PATCH /api/leads/1/': (call) => {
          patches += 1;
          if (patches === 1) return [409, { detail: 'Lead was changed by someone else.', type: 'conflict' }];
          return [200, { ...fresh, ...call.body, version: 4 }];
        },
      }),
    );
    const user = userEvent.setup();
    render(<Board />);
    await user.click(await within(await findColumn('New')).findByText('Ann Lee'));
    const dialog = screen.getByRole('dialog', { name: 'Edit Ann Lee' });
    await user.type(within(dialog).getByLabelText('Notes'), 'call back');
    await user.click(within(dialog).getByRole('button', { name: 'Save' }));
    expect(await within(dialog).findByRole('alert')).toHaveTextContent('Someone else changed this lead');
    await waitFor(() => expect(within(dialog).getByLabelText('Phone')).toHaveValue('111'));
    expect(within(dialog).getByLabelText('Notes')).toHaveValue('call back');
    await user.click(within(dialog).getByRole('button', { name: 'Save' }));
    await waitFor(() => expect(screen.queryByRole('dialog')).not.toBeInTheDocument());
    const bodies = calls.filter((c) => c.method === 'PATCH').map((c) => c.body);
    expect(bodies[0].version).toBe(1);
    // The other person's phone is kept; only the field edited here is sent.
    expect(bodies[1]).toEqual({ notes: 'call back', version: 3 });
  });

  it('deletes a lead only after the confirmation', async () => {
    let leads = [ANN, BO];
    const calls = mockFetch(
      boardRoutes(() => leads, {
        'DELETE /api/leads/2/': () => {
          leads = [ANN];
          return [204];
        },
      }),
    );
    const user = userEvent.setup();
    render(<Board />);
    await user.click(await within(await findColumn('New')).findByText('Bo Chen'));
    const dialog = screen.getByRole('dialog', { name: 'Edit Bo Chen' });
    await user.click(within(dialog).getByRole('button', { name: 'Delete' }));
    expect(calls.filter((c) => c.method === 'DELETE')).toHaveLength(0);
    await user.click(within(dialog).getByRole('button', { name: 'Yes, delete' }));
    await waitFor(() => expect(within(column('New')).queryByText('Bo Chen')).not.toBeInTheDocument());
    expect(calls.filter((c) => c.method === 'DELETE').map((c) => c.url)).toEqual(['/api/leads/2/']);
  });

  it('closes the panel with Esc', async () => {
    mockFetch(boardRoutes(() => [ANN]));
    const user = userEvent.setup();
    render(<Board />);
    await user.click(await within(await findColumn('New')).findByText('Ann Lee'));
    expect(screen.getByRole('dialog', { name: 'Edit Ann Lee' })).toBeInTheDocument();
    await user.keyboard('{Escape}');
    expect(screen.queryByRole('dialog')).not.toBeInTheDocument();
  });

  it('shows a load failure with a retry', async () => {
    let loads = 0;
    mockFetch({
      'GET /api/pipeline/': [200, { statuses: STAGES }],
      'GET /api/leads/': () => {
        loads += 1;
        return loads === 1 ? [503, { detail: 'The lead store is unavailable.', type: 'database_unavailable' }] : [200, { leads: [ANN] }];
      },
    });
    const user = userEvent.setup();
    render(<Board />);
    expect(await screen.findByRole('alert')).toHaveTextContent('The lead store is unavailable.');
    await user.click(screen.getByRole('button', { name: 'Retry' }));
    expect(await within(await findColumn('New')).findByText('Ann Lee')).toBeInTheDocument();
    expect(screen.queryByRole('alert')).not.toBeInTheDocument();
  });
});

describe('useBoard moves', () => {
  it('moves a lead at once and keeps the server version', async () => {
    const held = deferred();
    const calls = mockFetch(boardRoutes(() => [ANN], { 'PATCH /api/leads/1/': () => held.promise }));
    const { result } = renderHook(() => useBoard());
    await waitFor(() => expect(result.current.leads).toHaveLength(1));
    let move;
    act(() => {
      move = result.current.moveLead(ANN, 'Won');
    });
    expect(result.current.leads[0].status).toBe('Won');
    expect(calls.find((c) => c.method === 'PATCH').body).toEqual({ status: 'Won', version: 1 });
    held.resolve([200, { ...ANN, status: 'Won', version: 2 }]);
    await act(() => move);
    expect(result.current.leads[0]).toMatchObject({ status: 'Won', version: 2 });
    expect(result.current.notice).toBeNull();
  });

  it('rolls back on 409 with a clear message and reloads', async () => {
    let leads = [ANN];
    mockFetch(
      boardRoutes(() => leads, {
        'PATCH /api/leads/1/': () => {
          leads = [{ ...ANN, status: 'Contacted', version: 2 }];
          return [409, { detail: 'Version conflict.', type: 'conflict' }];
        },
      }),
    );
    const { result } = renderHook(() => useBoard());
    await waitFor(() => expect(result.current.leads).toHaveLength(1));
    await act(() => result.current.moveLead(ANN, 'Won'));
    expect(result.current.notice).toMatch(/'Ann Lee' was changed elsewhere/);
    await waitFor(() => expect(result.current.leads[0]).toMatchObject({ status: 'Contacted', version: 2 }));
  });

  it('rolls back on other errors and says why', async () => {
    mockFetch(
      boardRoutes(() => [ANN], {
        'PATCH /api/leads/1/': [503, { detail: 'The lead store is unavailable.', type: 'database_unavailable' }],
      }),
    );
    const { result } = renderHook(() => useBoard());
    await waitFor(() => expect(result.current.leads).toHaveLength(1));
    await act(() => result.current.moveLead(ANN, 'Won'));
    expect(result.current.leads[0].status).toBe('New');
    expect(result.current.notice).toBe("Could not move 'Ann Lee' to Won: The lead store is unavailable.");
  });
});

describe('columnCoordinates (keyboard dragging)', () => {
  const rect = (left) => ({ left, width: 100, top: 0, height: 300 });
  const context = {
    droppableRects: new Map([
      ['New', rect(0)],
      ['Contacted', rect(120)],
      ['Won', rect(240)],
    ]),
    active: { id: '1' },
    collisionRect: { width: 80 },
  };
  const press = (code) => ({ code, preventDefault() {} });

  it('jumps to the centre of the next column right or left', () => {
    const at = { x: 10, y: 50 };
    expect(columnCoordinates(press('ArrowRight'), { context, currentCoordinates: at })).toEqual({ x: 130, y: 50 });
    const middle = { x: 130, y: 50 };
    expect(columnCoordinates(press('ArrowLeft'), { context, currentCoordinates: middle })).toEqual({ x: 10, y: 50 });
  });

  it('stays at the edge and ignores other keys', () => {
    const last = { x: 250, y: 5 };
    expect(columnCoordinates(press('ArrowRight'), { context, currentCoordinates: last })).toEqual(last);
    expect(columnCoordinates(press('KeyA'), { context, currentCoordinates: last })).toBeUndefined();
  });
});
