import { act, fireEvent, render, screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { beforeEach, describe, expect, it } from 'vitest';
import ChatWidget, { EXAMPLES } from './ChatWidget.jsx';
import { FakeEventSource, mockFetch, run, succeeded } from '../test/fakes.js';

const EMPTY_HISTORY = [200, { thread_id: 't1', messages: [], pending: null }];

function chatRoutes(extra = {}) {
  return {
    'GET /api/chat/history/': EMPTY_HISTORY,
    'POST /api/chat/': [202, { task_id: 'task1' }],
    'POST /api/chat/clear/': [204],
    ...extra,
  };
}

async function openWidget(user, options) {
  render(<ChatWidget chatOptions={{ pollInterval: 10, ...options }} />);
  await user.click(screen.getByRole('button', { name: 'Open chat' }));
  const input = screen.getByRole('textbox', { name: 'Message' });
  await waitFor(() => expect(screen.queryByText('Loading the conversation…')).not.toBeInTheDocument());
  return input;
}

const log = () => screen.getByRole('log', { name: 'Conversation' });

beforeEach(() => {
  FakeEventSource.install();
  sessionStorage.clear();
  document.cookie = 'csrftoken=tok123';
});

describe('chat shortcut and focus order', () => {
  it('opens on Ctrl+/ and on Cmd+/ from anywhere, focusing the message box', async () => {
    mockFetch(chatRoutes());
    render(<ChatWidget chatOptions={{ pollInterval: 10 }} />);
    expect(document.querySelector('.chat-panel')).not.toHaveClass('open');
    fireEvent.keyDown(document.body, { key: '/', code: 'Slash', ctrlKey: true });
    expect(document.querySelector('.chat-panel')).toHaveClass('open');
    await waitFor(() => expect(screen.getByRole('textbox', { name: 'Message' })).toHaveFocus());

    await userEvent.setup().keyboard('{Escape}');
    expect(document.querySelector('.chat-panel')).not.toHaveClass('open');
    fireEvent.keyDown(window, { key: '/', code: 'Slash', metaKey: true });
    expect(document.querySelector('.chat-panel')).toHaveClass('open');
    // A plain "/" (typing) does not open it.
    await userEvent.setup().keyboard('{Escape}');
    fireEvent.keyDown(window, { key: '/', code: 'Slash' });
    expect(document.querySelector('.chat-panel')).not.toHaveClass('open');
  });

  it('puts the launcher before the panel in the document (an early tab stop)', () => {
    mockFetch(chatRoutes());
    render(<ChatWidget />);
    const button = screen.getByRole('button', { name: 'Open chat' });
    const panel = document.querySelector('.chat-panel');
    expect(button.compareDocumentPosition(panel) & Node.DOCUMENT_POSITION_FOLLOWING).toBeTruthy();
  });
});

describe('empty chat examples', () => {
  it('sends an example prompt when it is clicked', async () => {
    const calls = mockFetch(chatRoutes());
    const user = userEvent.setup();
    await openWidget(user);
    const examples = screen.getByRole('list', { name: 'Example messages' });
    expect(within(examples).getAllByRole('button').map((b) => b.textContent)).toEqual(EXAMPLES);
    await user.click(within(examples).getByRole('button', { name: EXAMPLES[0] }));
    const post = calls.find((c) => c.method === 'POST' && c.url === '/api/chat/');
    expect(post.body.message).toBe(EXAMPLES[0]);
    expect(within(log()).getByText(EXAMPLES[0])).toBeInTheDocument();
    expect(screen.queryByRole('list', { name: 'Example messages' })).not.toBeInTheDocument();
  });
});

describe('clear asks first', () => {
  it('keeps the conversation when the person cancels', async () => {
    const calls = mockFetch(
      chatRoutes({
        'GET /api/chat/history/': [200, { thread_id: 't1', messages: [{ role: 'user', content: 'hello', actions: [] }, { role: 'assistant', content: 'Hi.', actions: [] }], pending: null }],
      }),
    );
    const user = userEvent.setup();
    await openWidget(user);
    await user.click(screen.getByRole('button', { name: 'Clear conversation' }));
    await user.click(within(screen.getByRole('alertdialog')).getByRole('button', { name: 'Cancel' }));
    expect(screen.queryByRole('alertdialog')).not.toBeInTheDocument();
    expect(within(log()).getByText('hello')).toBeInTheDocument();
    expect(calls.some((c) => c.url === '/api/chat/clear/')).toBe(false);
  });
});

describe('timestamps', () => {
  it('gives each message its time (shown on hover) from history or from now', async () => {
    const at = '2026-11-29T08:05:00Z';
    mockFetch(
      chatRoutes({
        'GET /api/chat/history/': [200, { thread_id: 't1', messages: [{ role: 'user', content: 'old one', actions: [], at }, { role: 'assistant', content: 'Hi.', actions: [], at }], pending: null }],
      }),
    );
    const user = userEvent.setup();
    const input = await openWidget(user);
    const old = within(log()).getByText('old one').closest('.chat-msg');
    const time = old.querySelector('time');
    expect(time).toHaveAttribute('datetime', new Date(at).toISOString());
    expect(time.textContent).toMatch(/\d{1,2}:\d{2}/);
    expect(old.querySelector('.chat-bubble')).toHaveAttribute('title', time.textContent);

    await user.type(input, 'new one{Enter}');
    const fresh = within(log()).getByText('new one').closest('.chat-msg').querySelector('time');
    expect(Math.abs(new Date(fresh.getAttribute('datetime')).getTime() - Date.now())).toBeLessThan(60_000);
  });
});

describe('length limit', () => {
  it('shows a counter near the limit and keeps a longer paste whole, with Send disabled', async () => {
    const calls = mockFetch(chatRoutes());
    const user = userEvent.setup();
    const input = await openWidget(user);
    fireEvent.change(input, { target: { value: 'a'.repeat(1799) } });
    expect(document.querySelector('.chat-counter')).toBeNull();
    fireEvent.change(input, { target: { value: 'a'.repeat(1850) } });
    expect(document.querySelector('.chat-counter')).toHaveTextContent('1,850 / 2,000');
    expect(screen.getByRole('button', { name: 'Send message' })).toBeEnabled();

    await user.clear(input);
    await user.click(input);
    await user.paste('b'.repeat(2100));
    expect(input.value).toHaveLength(2100); // not cut
    expect(document.querySelector('.chat-counter')).toHaveTextContent('100 characters over the 2,000 limit');
    expect(input).toHaveAttribute('aria-invalid', 'true');
    expect(screen.getByRole('button', { name: 'Send message' })).toBeDisabled();
    await user.keyboard('{Enter}');
    expect(calls.some((c) => c.method === 'POST')).toBe(false);
  });
});

describe('replies', () => {
  it('render bold, italic and numbered lists as elements and never HTML', async () => {
    mockFetch(chatRoutes());
    const user = userEvent.setup();
    const input = await openWidget(user);
    await user.type(input, 'top leads{Enter}');
    await waitFor(() => expect(FakeEventSource.latest()).toBeDefined());
    act(() =>
      FakeEventSource.latest().emit(
        'result',
        succeeded('task1', { reply: 'Top **two** leads, *by value*:\n1. Ann <img src=x onerror=alert(1)>\n2. Bo' }),
      ),
    );
    expect(within(log()).getByText('two').tagName).toBe('STRONG');
    expect(within(log()).getByText('by value').tagName).toBe('EM');
    const list = log().querySelector('ol');
    expect([...list.querySelectorAll('li')].map((li) => li.textContent)).toEqual(['Ann <img src=x onerror=alert(1)>', 'Bo']);
    expect(log().querySelector('img')).toBeNull();
  });
});

describe('undo on a change chip', () => {
  it('undoes that change by its seq and shows the reply', async () => {
    const calls = mockFetch(
      chatRoutes({
        'POST /api/leads/undo/': [200, { reply: "Undone: 'John Smith' is back in Contacted.", undone: true, action: null }],
      }),
    );
    const user = userEvent.setup();
    const input = await openWidget(user);
    await user.type(input, 'move John to Won{Enter}');
    await waitFor(() => expect(FakeEventSource.latest()).toBeDefined());
    act(() =>
      FakeEventSource.latest().emit(
        'result',
        succeeded('task1', {
          reply: 'Moved.',
          actions: [{ type: 'change_status', lead_id: '1', lead_name: 'John Smith', seq: 7, changes: { status: ['Contacted', 'Won'] } }],
        }),
      ),
    );
    const undo = screen.getByRole('button', { name: 'Undo: John Smith, Contacted → Won' });
    await user.click(undo);
    expect(await within(log()).findByText("Undone: 'John Smith' is back in Contacted.")).toBeInTheDocument();
    const post = calls.find((c) => c.url === '/api/leads/undo/');
    expect(post.body).toEqual({ seq: 7 });
    expect(post.headers['X-CSRFToken']).toBe('tok123');
    expect(undo).toBeDisabled();
  });

  it('sends {} when the chip does not know its seq, and shows a refusal', async () => {
    const calls = mockFetch(
      chatRoutes({
        'GET /api/chat/history/': [200, { thread_id: 't1', messages: [{ role: 'assistant', content: 'Moved.', actions: [{ type: 'change_status', lead_id: '1', lead_name: 'Ann', changes: { status: ['New', 'Won'] } }] }], pending: null }],
        'POST /api/leads/undo/': [200, { reply: "Lead 'Ann' was changed since by bob (board); nothing was undone.", undone: false, action: null }],
      }),
    );
    const user = userEvent.setup();
    await openWidget(user);
    await user.click(screen.getByRole('button', { name: 'Undo: Ann, New → Won' }));
    expect(await within(log()).findByText(/changed since by bob/)).toBeInTheDocument();
    expect(calls.find((c) => c.url === '/api/leads/undo/').body).toEqual({});
  });
});

describe('timeouts and re-attaching', () => {
  it('re-sends the same client message id after a proxy timeout instead of failing', async () => {
    let posts = 0;
    const calls = mockFetch(
      chatRoutes({
        'POST /api/chat/': () => {
          posts += 1;
          if (posts === 1) return [504, { detail: 'The message may still be processed.', type: 'timeout' }];
          return [202, { task_id: 'task1' }];
        },
      }),
    );
    const user = userEvent.setup();
    const input = await openWidget(user);
    await user.type(input, 'add Ann{Enter}');
    await waitFor(() => expect(FakeEventSource.latest()).toBeDefined());
    const chatPosts = calls.filter((c) => c.url === '/api/chat/');
    expect(chatPosts).toHaveLength(2);
    expect(chatPosts[1].body.client_message_id).toBe(chatPosts[0].body.client_message_id);
    act(() => FakeEventSource.latest().emit('result', succeeded('task1', { reply: 'Added.' })));
    expect(within(log()).getByText('Added.')).toBeInTheDocument();
    expect(document.querySelector('.chat-msg--error')).toBeNull();
  });

  it('after repeated timeouts says the message may still be processed (never "nothing was changed")', async () => {
    const calls = mockFetch(chatRoutes({ 'POST /api/chat/': [503, { detail: 'x', type: 'timeout' }] }));
    const user = userEvent.setup();
    const input = await openWidget(user, { maxReattach: 2 });
    await user.type(input, 'add Ann{Enter}');
    const error = await within(log()).findByText(/may still be processed/);
    expect(error.textContent).not.toMatch(/nothing was changed/);
    expect(calls.filter((c) => c.url === '/api/chat/')).toHaveLength(3);
    const ids = new Set(calls.filter((c) => c.url === '/api/chat/').map((c) => c.body.client_message_id));
    expect(ids.size).toBe(1);
  });
});

describe('after a reload with a run still active', () => {
  const inFlight = [200, { thread_id: 't1', messages: [{ role: 'user', content: 'Move Ann to Won', actions: [] }], pending: null }];

  it('follows the run this tab started and shows its failure', async () => {
    sessionStorage.setItem('crm:chat-run', JSON.stringify({ taskId: 'task9', text: 'Move Ann to Won', clientId: 'c9' }));
    let polls = 0;
    mockFetch(
      chatRoutes({
        'GET /api/chat/history/': inFlight,
        'GET /api/chat/status/task9/': () => {
          polls += 1;
          if (polls < 3) return [200, run('task9')];
          return [200, run('task9', { status: 'failed', error: { type: 'database_unavailable', message: 'The lead database is unavailable.' } })];
        },
      }),
    );
    const user = userEvent.setup();
    await openWidget(user);
    expect(await within(log()).findByText('The lead database is unavailable.')).toBeInTheDocument();
    expect(screen.queryByRole('status')).not.toBeInTheDocument();
    expect(screen.getByRole('button', { name: 'Retry' })).toBeEnabled();
    expect(sessionStorage.getItem('crm:chat-run')).toBeNull();
  });

  it('stops waiting on a run that never ends, after a bound', async () => {
    sessionStorage.setItem('crm:chat-run', JSON.stringify({ taskId: 'task9', text: 'Move Ann to Won', clientId: 'c9' }));
    let polls = 0;
    mockFetch(
      chatRoutes({
        'GET /api/chat/history/': inFlight,
        'GET /api/chat/status/task9/': () => {
          polls += 1;
          return [200, run('task9')];
        },
      }),
    );
    const user = userEvent.setup();
    await openWidget(user, { maxPolls: 4 });
    expect(await within(log()).findByText(/may still be processed/)).toBeInTheDocument();
    expect(polls).toBe(4);
    expect(screen.queryByRole('status')).not.toBeInTheDocument();
  });

  it('re-reads the history a bounded number of times when it does not know the run', async () => {
    let loads = 0;
    mockFetch(
      chatRoutes({
        'GET /api/chat/history/': () => {
          loads += 1;
          return inFlight;
        },
      }),
    );
    const user = userEvent.setup();
    await openWidget(user, { historyTries: 3 });
    expect(await within(log()).findByText(/has not arrived yet/)).toBeInTheDocument();
    expect(loads).toBe(4);
    expect(screen.queryByRole('status')).not.toBeInTheDocument();
    expect(screen.getByRole('textbox', { name: 'Message' })).toBeEnabled();
  });
});
