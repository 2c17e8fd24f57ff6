import { act, render, renderHook, screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { beforeEach, describe, expect, it } from 'vitest';
import Board from './Board.jsx';
import { columnCoordinates } from './DndBoard.jsx';
import { useBoard } from './useBoard.js';
import { FakeEventSource, deferred, mockFetch } from '../test/fakes.js';

const STAGES = ['New', 'Contacted', 'Won'];

function lead(id, name, status, extra = {}) {
  return { id, name, status, company: null, email: null, phone: null, value: null, notes: null, version: 1, ...extra };
}

const ANN = lead('1', 'Ann Lee', 'New', { company: 'Acme', value: 12000 });
const BO = lead('2', 'Bo Chen', 'New');
const CY = lead('3', 'Cy Diaz', 'Won', { company: 'Globex', value: 500 });

/** `GET /api/leads/?status&q&limit&offset` over `leads()`, answering a page and the total. */
function leadsRoute(leads) {
  return (call) => {
    const params = new URL(call.url, 'http://x').searchParams;
    const q = (params.get('q') || '').toLowerCase();
    const all = leads().filter(
      (l) => (!params.get('status') || l.status === params.get('status')) && (!q || l.name.toLowerCase().includes(q)),
    );
    const offset = Number(params.get('offset') || 0);
    const limit = Number(params.get('limit') || 100);
    return [200, { leads: all.slice(offset, offset + limit), total: all.length, limit, offset }];
  };
}

function boardRoutes(leads, extra = {}) {
  return {
    'GET /api/pipeline/': [200, { statuses: STAGES }],
    'GET /api/leads/': leadsRoute(leads),
    'GET /api/leads/summary/': [503, { detail: 'not here', type: 'agent_unavailable' }],
    'GET /api/leads/changes/': [200, { changes: [], last_seq: 0 }],
    ...extra,
  };
}

function column(stage) {
  return screen.getByRole('region', { name: stage });
}

function findColumn(stage) {
  return screen.findByRole('region', { name: stage });
}

function change(seq, op, before, after, extra = {}) {
  return {
    seq,
    lead_id: (after || before).id,
    user_id: '2',
    user_name: 'bob',
    source: 'board',
    run_id: null,
    thread_id: null,
    op,
    before,
    after,
    reverts: null,
    at: new Date().toISOString(),
    ...extra,
  };
}

function boardStream() {
  return FakeEventSource.instances.find((s) => s.url.startsWith('/api/leads/events/'));
}

beforeEach(() => {
  FakeEventSource.install();
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

  it('shows real counts and value sums per column from the server summary', async () => {
    mockFetch(
      boardRoutes(() => [ANN, BO, CY], {
        'GET /api/leads/summary/': [
          200,
          {
            stages: [
              { status: 'New', count: 1250, value: 99000 },
              { status: 'Contacted', count: 0, value: 0 },
              { status: 'Won', count: 1, value: 500 },
            ],
            total: 1251,
            value: 99500,
          },
        ],
      }),
    );
    render(<Board />);
    await within(await findColumn('New')).findByText('Ann Lee');
    await waitFor(() => expect(within(column('New')).getByLabelText('1250 leads')).toBeInTheDocument());
    expect(within(column('New')).getByText('$99,000')).toBeInTheDocument();
    expect(screen.getByText('1,251 leads')).toBeInTheDocument();
  });

  it('loads a column a page at a time with "Load more"', async () => {
    const many = Array.from({ length: 5 }, (_, i) => lead(`n${i}`, `Lead ${i}`, 'New'));
    const calls = mockFetch(boardRoutes(() => many));
    const { result } = renderHook(() => useBoard({ pageSize: 2 }));
    await waitFor(() => expect(result.current.columns.New?.leads).toHaveLength(2));
    expect(result.current.columns.New.total).toBe(5);
    await act(() => result.current.loadMore('New'));
    expect(result.current.columns.New.leads.map((l) => l.name)).toEqual(['Lead 0', 'Lead 1', 'Lead 2', 'Lead 3']);
    const urls = calls.filter((c) => c.url.startsWith('/api/leads/?status=New')).map((c) => c.url);
    expect(urls).toEqual(['/api/leads/?status=New&limit=2&offset=0', '/api/leads/?status=New&limit=2&offset=2']);

  });

  it('shows "Load more" with how many are shown, and loads the rest', async () => {
    const many = Array.from({ length: 60 }, (_, i) => lead(`n${i}`, `Lead ${i}`, 'New'));
    mockFetch(boardRoutes(() => many));
    const user = userEvent.setup();
    render(<Board />);
    const more = await within(await findColumn('New')).findByRole('button', { name: 'Load more leads in New (50 of 60 shown)' });
    expect(within(column('New')).getAllByRole('button', { name: /^Lead \d+/ })).toHaveLength(50);
    await user.click(more);
    await waitFor(() => expect(within(column('New')).getAllByRole('button', { name: /^Lead \d+/ })).toHaveLength(60));
    expect(within(column('New')).queryByRole('button', { name: /Load more/ })).not.toBeInTheDocument();
    expect(within(column('New')).getByLabelText('60 leads')).toBeInTheDocument();
  });

  it('searches on the server, per column, after the user pauses typing', async () => {
    const calls = mockFetch(boardRoutes(() => [ANN, BO]));
    const user = userEvent.setup();
    render(<Board />);
    await within(await findColumn('New')).findByText('Bo Chen');
    await user.type(screen.getByRole('searchbox', { name: 'Search leads' }), 'ann');
    await waitFor(() => expect(within(column('New')).queryByText('Bo Chen')).not.toBeInTheDocument());
    expect(within(column('New')).getByText('Ann Lee')).toBeInTheDocument();
    const searches = calls.filter((c) => c.url.includes('q='));
    expect(searches.map((c) => c.url).sort()).toEqual(
      STAGES.map((s) => `/api/leads/?status=${encodeURIComponent(s)}&q=ann&limit=50&offset=0`).sort(),
    );
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
    const dialog = await screen.findByRole('dialog', { name: 'New lead' });
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
    const dialog = await screen.findByRole('dialog', { name: 'New lead' });
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
    const dialog = await screen.findByRole('dialog', { name: 'Edit Ann Lee' });
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
    const dialog = await screen.findByRole('dialog', { name: 'Edit Ann Lee' });
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
    const dialog = await screen.findByRole('dialog', { name: 'Edit Bo Chen' });
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
    expect(await screen.findByRole('dialog', { name: 'Edit Ann Lee' })).toBeInTheDocument();
    await user.keyboard('{Escape}');
    expect(screen.queryByRole('dialog')).not.toBeInTheDocument();
  });

  it('says the board could not load (not that nothing was changed) and Retry loads it', async () => {
    let failing = true;
    mockFetch({
      'GET /api/pipeline/': [200, { statuses: STAGES }],
      'GET /api/leads/summary/': [503, { detail: 'The assistant is unavailable right now; nothing was changed.', type: 'agent_unavailable' }],
      'GET /api/leads/': (call) =>
        failing
          ? [503, { detail: 'The assistant is unavailable right now; nothing was changed.', type: 'agent_unavailable' }]
          : leadsRoute(() => [ANN])(call),
    });
    const user = userEvent.setup();
    render(<Board />);
    const alert = await screen.findByRole('alert');
    expect(alert).toHaveTextContent('The board could not load (the server answered 503).');
    expect(alert).not.toHaveTextContent('nothing was changed');
    expect(screen.queryByText('0 leads')).not.toBeInTheDocument();
    failing = false;
    await user.click(screen.getByRole('button', { name: 'Retry' }));
    expect(await within(await findColumn('New')).findByText('Ann Lee')).toBeInTheDocument();
    expect(screen.queryByRole('alert')).not.toBeInTheDocument();
    expect(screen.getByText('1 lead')).toBeInTheDocument();
  });
});

describe('live board', () => {
  it('opens one event stream and applies changes from anyone, highlighting the card', async () => {
    mockFetch(boardRoutes(() => [ANN, BO, CY]));
    render(<Board />);
    await within(await findColumn('New')).findByText('Ann Lee');
    const streams = FakeEventSource.instances.filter((s) => s.url.startsWith('/api/leads/events/'));
    expect(streams).toHaveLength(1);
    expect(streams[0].url).toBe('/api/leads/events/');

    act(() => boardStream().emit('change', change(5, 'update', ANN, { ...ANN, status: 'Won', version: 2 })));
    const moved = (await within(column('Won')).findByText('Ann Lee')).closest('.card');
    expect(moved).toHaveClass('changed');
    expect(within(column('New')).queryByText('Ann Lee')).not.toBeInTheDocument();
    expect(within(column('New')).getByLabelText('1 lead')).toBeInTheDocument();
    expect(within(column('Won')).getByLabelText('2 leads')).toBeInTheDocument();

    const dee = lead('7', 'Dee Fox', 'Contacted');
    act(() => boardStream().emit('change', change(6, 'create', null, dee, { source: 'chat', user_name: 'demo' })));
    expect(await within(column('Contacted')).findByText('Dee Fox')).toBeInTheDocument();
    act(() => boardStream().emit('change', change(7, 'delete', BO, null)));
    await waitFor(() => expect(within(column('New')).queryByText('Bo Chen')).not.toBeInTheDocument());
    expect(within(column('New')).getByLabelText('0 leads')).toBeInTheDocument();
    // A repeated or older event changes nothing.
    act(() => boardStream().emit('change', change(5, 'update', ANN, { ...ANN, status: 'Won', version: 2 })));
    act(() => boardStream().emit('change', change(4, 'update', { ...ANN, version: 0 }, { ...ANN, version: 1 })));
    await new Promise((resolve) => setTimeout(resolve, 80)); // past the batching of events
    expect(within(column('Won')).getAllByText('Ann Lee')).toHaveLength(1);
    expect(within(column('Won')).getByLabelText('2 leads')).toBeInTheDocument();
    await waitFor(() => expect(moved).not.toHaveClass('changed'), { timeout: 3000 });
  });

  it('applies a burst of changes in one go, highlighting only the first few', async () => {
    mockFetch(boardRoutes(() => []));
    render(<Board />);
    await findColumn('New');
    await waitFor(() => expect(boardStream()?.readyState).toBe(1));
    act(() => {
      for (let i = 0; i < 500; i += 1) boardStream().emit('change', change(100 + i, 'create', null, lead(`b${i}`, `Bulk ${i}`, 'New')));
    });
    await waitFor(() => expect(within(column('New')).getByLabelText('500 leads')).toBeInTheDocument());
    // The column stays light: the first 100 are shown, the rest are a "Load more" away.
    expect(document.querySelectorAll('.card')).toHaveLength(100);
    expect(within(column('New')).getByRole('button', { name: 'Load more leads in New (100 of 500 shown)' })).toBeInTheDocument();
    expect(document.querySelectorAll('.card.changed').length).toBe(20);
  });

  it('reopens a stream the server refused, from the last seq seen', async () => {
    mockFetch(boardRoutes(() => [ANN]));
    const { result } = renderHook(() => useBoard({ reconnectDelay: 10 }));
    await waitFor(() => expect(result.current.columns.New?.leads).toHaveLength(1));
    act(() => boardStream().emit('change', change(41, 'update', ANN, { ...ANN, phone: '1', version: 2 })));
    act(() => boardStream().fail());
    expect(boardStream().closed).toBe(true);
    await waitFor(() => expect(FakeEventSource.instances).toHaveLength(2));
    expect(FakeEventSource.latest().url).toBe('/api/leads/events/?after=41');
  });

  it('loads the board only once the stream is open, and reloads after a reconnect with nothing to resume from', async () => {
    const states = [];
    const route = leadsRoute(() => [ANN]);
    const calls = mockFetch(
      boardRoutes(() => [ANN], {
        'GET /api/leads/': (call) => {
          states.push(boardStream()?.readyState);
          return route(call);
        },
      }),
    );
    const { result } = renderHook(() => useBoard());
    await waitFor(() => expect(result.current.columns.New?.leads).toHaveLength(1));
    expect(states.every((state) => state === 1)).toBe(true);
    const loads = () => calls.filter((c) => c.url.startsWith('/api/leads/?status=New')).length;
    expect(loads()).toBe(1);
    act(() => boardStream().emit('open', {})); // the browser reconnected by itself
    await waitFor(() => expect(loads()).toBe(2));
  });

  it('reloads the board while the stream is refused and it has nothing to resume from', async () => {
    let leads = [ANN];
    const calls = mockFetch(boardRoutes(() => leads));
    const { result } = renderHook(() => useBoard({ reconnectDelay: 10 }));
    await waitFor(() => expect(result.current.columns.New?.leads).toHaveLength(1));
    leads = [ANN, BO];
    act(() => boardStream().fail());
    await waitFor(() => expect(result.current.columns.New.leads).toHaveLength(2));
    expect(FakeEventSource.latest().url).toBe('/api/leads/events/');
    expect(calls.filter((c) => c.url.startsWith('/api/leads/?status=New'))).toHaveLength(2);
  });

  it('warns an open edit panel as soon as someone else changes its lead', async () => {
    mockFetch(boardRoutes(() => [ANN]));
    const user = userEvent.setup();
    render(<Board />);
    await user.click(await within(await findColumn('New')).findByText('Ann Lee'));
    const dialog = await screen.findByRole('dialog', { name: 'Edit Ann Lee' });
    await user.type(within(dialog).getByLabelText('Notes'), 'mine');
    act(() => boardStream().emit('change', change(9, 'update', ANN, { ...ANN, phone: '777', version: 2 })));
    const alert = await within(dialog).findByRole('alert');
    expect(alert).toHaveTextContent('bob on the board just changed this lead (Changed phone)');
    await user.click(within(alert).getByRole('button', { name: 'Load their version' }));
    expect(within(dialog).getByLabelText('Phone')).toHaveValue('777');
    expect(within(dialog).getByLabelText('Notes')).toHaveValue('mine');
    expect(within(dialog).queryByRole('alert')).not.toBeInTheDocument();
  });

  it("shows the lead's recent history in the panel, newest first", async () => {
    const calls = mockFetch(
      boardRoutes(() => [ANN], {
        'GET /api/leads/changes/': [
          200,
          {
            changes: [
              change(3, 'create', null, { ...ANN, status: 'Contacted' }, { user_name: 'demo', at: new Date(Date.now() - 3600e3).toISOString() }),
              change(8, 'update', { ...ANN, status: 'Contacted' }, ANN, { user_name: 'demo', source: 'chat', at: new Date(Date.now() - 120e3).toISOString() }),
            ],
            last_seq: 8,
          },
        ],
      }),
    );
    const user = userEvent.setup();
    render(<Board />);
    await user.click(await within(await findColumn('New')).findByText('Ann Lee'));
    const history = await screen.findByRole('region', { name: 'History' });
    await waitFor(() => expect(within(history).getAllByRole('listitem')).toHaveLength(2));
    expect(within(history).getAllByRole('listitem').map((li) => li.textContent)).toEqual([
      'Moved to New by demo via chat, 2 min ago',
      'Created in Contacted by demo on the board, 1 h ago',
    ]);
    expect(calls.some((c) => c.url === '/api/leads/changes/?lead_id=1&limit=200')).toBe(true);
  });

  it('offers Undo on a toast after a panel save and shows the reply', async () => {
    const calls = mockFetch(
      boardRoutes(() => [ANN], {
        'PATCH /api/leads/1/': (call) => [200, { ...ANN, ...call.body, version: 2 }],
        'POST /api/leads/undo/': [200, { reply: "Undone: 'Ann Lee' phone is empty again.", undone: true, action: null }],
      }),
    );
    const user = userEvent.setup();
    render(<Board />);
    await user.click(await within(await findColumn('New')).findByText('Ann Lee'));
    await user.type(within(await screen.findByRole('dialog')).getByLabelText('Phone'), '555');
    await user.click(within(screen.getByRole('dialog')).getByRole('button', { name: 'Save' }));
    const toast = await screen.findByText("Saved 'Ann Lee'.");
    await user.click(within(toast.parentElement).getByRole('button', { name: 'Undo' }));
    expect(await screen.findByText("Undone: 'Ann Lee' phone is empty again.")).toBeInTheDocument();
    const undo = calls.find((c) => c.url === '/api/leads/undo/');
    expect(undo.body).toEqual({});
    expect(undo.headers['X-CSRFToken']).toBe('tok123');
  });

  it('loads drag and drop after the first paint', async () => {
    mockFetch(boardRoutes(() => [ANN]));
    render(<Board />);
    const card = (await within(await findColumn('New')).findByText('Ann Lee')).closest('.card');
    // dnd-kit adds its screen-reader instructions to every draggable once it has loaded.
    await waitFor(() => expect(within(column('New')).getByText('Ann Lee').closest('.card')).toHaveAttribute('aria-describedby'));
    expect(card).toHaveAttribute('aria-roledescription', 'lead card');
  });
});

describe('useBoard moves', () => {
  it('moves a lead at once and keeps the server version', async () => {
    const held = deferred();
    const calls = mockFetch(boardRoutes(() => [ANN], { 'PATCH /api/leads/1/': () => held.promise }));
    const { result } = renderHook(() => useBoard());
    await waitFor(() => expect(result.current.columns.New?.leads).toHaveLength(1));
    let move;
    act(() => {
      move = result.current.moveLead(ANN, 'Won');
    });
    expect(result.current.columns.Won.leads[0].status).toBe('Won');
    expect(result.current.columns.New.leads).toHaveLength(0);
    expect(calls.find((c) => c.method === 'PATCH').body).toEqual({ status: 'Won', version: 1 });
    held.resolve([200, { ...ANN, status: 'Won', version: 2 }]);
    await act(() => move);
    expect(result.current.columns.Won.leads[0]).toMatchObject({ status: 'Won', version: 2 });
    expect(result.current.columns.Won.total).toBe(1);
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
    await waitFor(() => expect(result.current.columns.New?.leads).toHaveLength(1));
    await act(() => result.current.moveLead(ANN, 'Won'));
    expect(result.current.notice).toMatch(/'Ann Lee' was changed elsewhere/);
    await waitFor(() => expect(result.current.columns.Contacted.leads[0]).toMatchObject({ status: 'Contacted', version: 2 }));
  });

  it('rolls back on other errors and says why', async () => {
    mockFetch(
      boardRoutes(() => [ANN], {
        'PATCH /api/leads/1/': [503, { detail: 'The lead store is unavailable.', type: 'database_unavailable' }],
      }),
    );
    const { result } = renderHook(() => useBoard());
    await waitFor(() => expect(result.current.columns.New?.leads).toHaveLength(1));
    await act(() => result.current.moveLead(ANN, 'Won'));
    expect(result.current.columns.New.leads[0].status).toBe('New');
    expect(result.current.columns.Won.leads).toHaveLength(0);
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
