import { act, render, screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import ChatWidget from './ChatWidget.jsx';
import { FakeEventSource, deferred, mockFetch, run, succeeded } from '../test/fakes.js';

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
  render(<ChatWidget chatOptions={{ pollInterval: 20, ...options }} />);
  await user.click(screen.getByRole('button', { name: 'Open chat' }));
  const input = screen.getByRole('textbox', { name: 'Message' });
  await waitFor(() => expect(input).toHaveFocus());
  await waitFor(() => expect(screen.queryByText('Loading the conversation…')).not.toBeInTheDocument());
  return input;
}

function log() {
  return screen.getByRole('log', { name: 'Conversation' });
}

beforeEach(() => {
  FakeEventSource.install();
  document.cookie = 'csrftoken=tok123';
});

describe('ChatWidget', () => {
  it('opens into a labelled panel, focuses the input, and Esc closes it returning focus', async () => {
    mockFetch(chatRoutes());
    const user = userEvent.setup();
    const input = await openWidget(user);
    const dialog = screen.getByRole('dialog', { name: 'CRM assistant' });
    expect(dialog).toHaveClass('open');
    expect(screen.getByRole('button', { name: 'Hide chat' })).toHaveAttribute('aria-expanded', 'true');

    await user.type(input, '{Escape}');
    const button = screen.getByRole('button', { name: 'Open chat' });
    expect(button).toHaveFocus();
    expect(button).toHaveAttribute('aria-expanded', 'false');
    expect(document.querySelector('.chat-panel')).not.toHaveClass('open');
    expect(document.querySelector('.chat-panel')).toHaveAttribute('aria-hidden', 'true');
  });

  it('keeps Send disabled while the message is empty and Shift+Enter adds a line', async () => {
    const calls = mockFetch(chatRoutes());
    const user = userEvent.setup();
    const input = await openWidget(user);
    const send = screen.getByRole('button', { name: 'Send message' });
    expect(send).toBeDisabled();

    await user.type(input, '   ');
    expect(send).toBeDisabled();
    await user.keyboard('{Enter}');
    expect(calls.filter((c) => c.method === 'POST')).toHaveLength(0);

    await user.clear(input);
    await user.type(input, 'first line{Shift>}{Enter}{/Shift}second line');
    expect(input).toHaveValue('first line\nsecond line');
    expect(send).toBeEnabled();
    expect(calls.filter((c) => c.method === 'POST')).toHaveLength(0);
  });

  it('sends on Enter with the CSRF token, names the current step, then shows the reply and actions', async () => {
    const calls = mockFetch(chatRoutes());
    const changed = vi.fn();
    window.addEventListener('crm:leads-changed', changed);
    const user = userEvent.setup();
    const input = await openWidget(user);

    await user.type(input, 'Move John to Won{Enter}');
    expect(input).toHaveValue('');
    const post = calls.find((c) => c.method === 'POST' && c.url === '/api/chat/');
    expect(post.body.message).toBe('Move John to Won');
    expect(post.body.client_message_id).toMatch(/^[0-9a-f-]{36}$/);
    expect(post.headers['X-CSRFToken']).toBe('tok123');
    expect(within(log()).getByText('Move John to Won')).toBeInTheDocument();

    await waitFor(() => expect(FakeEventSource.latest()).toBeDefined());
    const source = FakeEventSource.latest();
    expect(source.url).toBe('/api/chat/events/task1/');
    expect(screen.getByRole('status')).toHaveTextContent('Thinking…');
    expect(screen.getByRole('button', { name: 'Send message' })).toBeDisabled();

    act(() => source.emit('step', { step: 'router' }));
    expect(screen.getByRole('status')).toHaveTextContent('Understanding…');
    act(() => source.emit('step', { step: 'lead_matcher' }));
    expect(screen.getByRole('status')).toHaveTextContent('Finding the lead…');
    act(() => source.emit('step', { step: 'change_status' }));
    expect(screen.getByRole('status')).toHaveTextContent('Updating the lead…');

    act(() =>
      source.emit(
        'result',
        succeeded('task1', {
          reply: "Lead 'John Smith' status updated to 'Won'.",
          actions: [
            {
              type: 'change_status',
              lead_id: '1',
              lead_name: 'John Smith',
              changes: { status: ['Contacted', 'Won'] },
            },
          ],
        }),
      ),
    );
    expect(within(log()).getByText("Lead 'John Smith' status updated to 'Won'.")).toBeInTheDocument();
    const chips = screen.getByRole('list', { name: 'Changes made' });
    expect(chips).toHaveTextContent('John Smith');
    expect(chips).toHaveTextContent('Contacted → Won');
    expect(screen.queryByRole('status')).not.toBeInTheDocument();
    expect(source.closed).toBe(true);
    // One path for all: the board learns from the lead event stream, not from a window event.
    expect(changed).not.toHaveBeenCalled();
    window.removeEventListener('crm:leads-changed', changed);
  });

  it('renders a reply list as a list', async () => {
    mockFetch(chatRoutes());
    const user = userEvent.setup();
    const input = await openWidget(user);
    await user.type(input, 'who is in New?{Enter}');
    await waitFor(() => expect(FakeEventSource.latest()).toBeDefined());
    act(() =>
      FakeEventSource.latest().emit(
        'result',
        succeeded('task1', { reply: 'Leads in New:\n- Ann Lee (Acme)\n- Bo Chen' }),
      ),
    );
    const items = within(log()).getAllByRole('listitem');
    expect(items.map((li) => li.textContent)).toEqual(['Ann Lee (Acme)', 'Bo Chen']);
    expect(within(log()).getByText('Leads in New:').tagName).toBe('P');
  });

  it('falls back to polling the run status every interval when the stream fails', async () => {
    let polls = 0;
    const calls = mockFetch(
      chatRoutes({
        'GET /api/chat/status/task1/': () => {
          polls += 1;
          if (polls === 1) return [200, run('task1', { step: 'query' })];
          return [200, succeeded('task1', { reply: 'There are 2 leads in New.' })];
        },
      }),
    );
    const user = userEvent.setup();
    const input = await openWidget(user);
    await user.type(input, 'how many in New?{Enter}');
    await waitFor(() => expect(FakeEventSource.latest()).toBeDefined());
    const source = FakeEventSource.latest();

    act(() => source.fail());
    expect(source.closed).toBe(true);
    await waitFor(() => expect(screen.getByRole('status')).toHaveTextContent('Looking up leads…'));
    await waitFor(() => expect(within(log()).getByText('There are 2 leads in New.')).toBeInTheDocument());
    expect(polls).toBe(2);
    expect(calls.filter((c) => c.url === '/api/chat/status/task1/')).toHaveLength(2);
  });

  it('polls when the browser has no EventSource at all', async () => {
    vi.stubGlobal('EventSource', undefined);
    mockFetch(
      chatRoutes({
        'GET /api/chat/status/task1/': [200, succeeded('task1', { reply: 'Done by polling.' })],
      }),
    );
    const user = userEvent.setup();
    const input = await openWidget(user);
    await user.type(input, 'hello{Enter}');
    await waitFor(() => expect(within(log()).getByText('Done by polling.')).toBeInTheDocument());
  });

  it('shows a failed run inline and Retry sends the same message again', async () => {
    let posts = 0;
    const calls = mockFetch(
      chatRoutes({
        'POST /api/chat/': () => {
          posts += 1;
          return [202, { task_id: `task${posts}` }];
        },
      }),
    );
    const user = userEvent.setup();
    const input = await openWidget(user);
    await user.type(input, 'Move Ann to Won{Enter}');
    await waitFor(() => expect(FakeEventSource.instances).toHaveLength(1));
    act(() =>
      FakeEventSource.latest().emit(
        'error',
        run('task1', {
          status: 'failed',
          error: { type: 'model_unavailable', message: 'The language model is unavailable.' },
        }),
      ),
    );
    expect(within(log()).getByText('The language model is unavailable.')).toBeInTheDocument();
    expect(FakeEventSource.latest().closed).toBe(true);

    await user.click(screen.getByRole('button', { name: 'Retry' }));
    expect(screen.queryByText('The language model is unavailable.')).not.toBeInTheDocument();
    const chatPosts = calls.filter((c) => c.method === 'POST' && c.url === '/api/chat/');
    expect(chatPosts.map((c) => c.body.message)).toEqual(['Move Ann to Won', 'Move Ann to Won']);
    // A retry is the same message: it keeps its client message id.
    expect(chatPosts[1].body.client_message_id).toBe(chatPosts[0].body.client_message_id);
    await waitFor(() => expect(FakeEventSource.instances).toHaveLength(2));
    expect(FakeEventSource.latest().url).toBe('/api/chat/events/task2/');
    act(() => FakeEventSource.latest().emit('result', succeeded('task2', { reply: 'Done.' })));
    expect(within(log()).getByText('Done.')).toBeInTheDocument();
    // The user's message is shown once, not once per attempt.
    expect(within(log()).getAllByText('Move Ann to Won')).toHaveLength(1);
  });

  it('shows the server detail when the message is refused, and Retry posts again', async () => {
    let posts = 0;
    mockFetch(
      chatRoutes({
        'POST /api/chat/': () => {
          posts += 1;
          if (posts === 1) return [429, { detail: 'Too many messages; wait a minute.', type: 'rate_limited' }];
          return [202, { task_id: 'task2' }];
        },
      }),
    );
    const user = userEvent.setup();
    const input = await openWidget(user);
    await user.type(input, 'hi{Enter}');
    expect(await within(log()).findByText('Too many messages; wait a minute.')).toBeInTheDocument();
    expect(FakeEventSource.instances).toHaveLength(0);
    expect(input).not.toBeDisabled();
    await user.click(screen.getByRole('button', { name: 'Retry' }));
    await waitFor(() => expect(FakeEventSource.instances).toHaveLength(1));
    expect(posts).toBe(2);
  });

  it('answers a confirmation with the Yes button and hides the buttons afterwards', async () => {
    let posts = 0;
    const calls = mockFetch(
      chatRoutes({
        'POST /api/chat/': () => {
          posts += 1;
          return [202, { task_id: `task${posts}` }];
        },
      }),
    );
    const user = userEvent.setup();
    const input = await openWidget(user);
    await user.type(input, 'delete the Acme lead{Enter}');
    await waitFor(() => expect(FakeEventSource.instances).toHaveLength(1));
    act(() =>
      FakeEventSource.latest().emit(
        'result',
        succeeded('task1', { reply: "Delete lead 'John Smith'? Reply yes or no.", needs: 'confirmation' }),
      ),
    );
    const group = screen.getByRole('group', { name: 'Confirm' });
    expect(within(group).getByRole('button', { name: 'No' })).toBeEnabled();
    await user.click(within(group).getByRole('button', { name: 'Yes' }));
    expect(calls.filter((c) => c.url === '/api/chat/').map((c) => c.body.message)).toEqual([
      'delete the Acme lead',
      'yes',
    ]);
    expect(screen.queryByRole('group', { name: 'Confirm' })).not.toBeInTheDocument();
    expect(within(log()).getByText('yes')).toBeInTheDocument();
  });

  it('offers one button per candidate and sends the chosen label (or its number for twins)', async () => {
    let posts = 0;
    const calls = mockFetch(
      chatRoutes({
        'POST /api/chat/': () => {
          posts += 1;
          return [202, { task_id: `task${posts}` }];
        },
      }),
    );
    const user = userEvent.setup();
    const input = await openWidget(user);
    await user.type(input, 'Move John to Won{Enter}');
    await waitFor(() => expect(FakeEventSource.instances).toHaveLength(1));
    act(() =>
      FakeEventSource.latest().emit(
        'result',
        succeeded('task1', {
          reply: "Which lead do you mean by 'John'? 1. John Smith (Acme); 2. John Doe (Globex).",
          needs: 'clarification',
          choices: [
            { lead_id: 'a', label: 'John Smith (Acme)' },
            { lead_id: 'b', label: 'John Doe (Globex)' },
          ],
        }),
      ),
    );
    const group = screen.getByRole('group', { name: 'Which lead?' });
    expect(within(group).getAllByRole('button').map((b) => b.textContent)).toEqual([
      'John Smith (Acme)',
      'John Doe (Globex)',
    ]);
    await user.click(within(group).getByRole('button', { name: 'John Doe (Globex)' }));
    await waitFor(() => expect(FakeEventSource.instances).toHaveLength(2));

    act(() =>
      FakeEventSource.latest().emit(
        'result',
        succeeded('task2', {
          reply: 'Which one?',
          needs: 'clarification',
          choices: [
            { lead_id: 'c', label: 'Ann Lee' },
            { lead_id: 'd', label: 'Ann Lee' },
          ],
        }),
      ),
    );
    const twins = within(screen.getByRole('group', { name: 'Which lead?' })).getAllByRole('button');
    await user.click(twins[1]);
    expect(calls.filter((c) => c.url === '/api/chat/').map((c) => c.body.message)).toEqual([
      'Move John to Won',
      'John Doe (Globex)',
      '2',
    ]);
  });

  it('restores the conversation from history, with the pending question still answerable', async () => {
    mockFetch(
      chatRoutes({
        'GET /api/chat/history/': [
          200,
          {
            thread_id: 't1',
            messages: [
              { role: 'user', content: 'Move Ann to Won', actions: [] },
              {
                role: 'assistant',
                content: "Lead 'Ann Lee' status updated to 'Won'.",
                actions: [
                  { type: 'change_status', lead_id: '1', lead_name: 'Ann Lee', changes: { status: ['New', 'Won'] } },
                ],
              },
              { role: 'user', content: 'delete her', actions: [] },
              { role: 'assistant', content: "Delete lead 'Ann Lee'?", actions: [], needs: 'confirmation', choices: [] },
            ],
            pending: { needs: 'confirmation', question: "Delete lead 'Ann Lee'?", choices: [] },
          },
        ],
      }),
    );
    const user = userEvent.setup();
    await openWidget(user);
    expect(within(log()).getByText('Move Ann to Won')).toBeInTheDocument();
    expect(within(log()).getByText('New → Won')).toBeInTheDocument();
    expect(screen.getByRole('group', { name: 'Confirm' })).toBeInTheDocument();
    expect(document.querySelectorAll('.chat-msg--user')).toHaveLength(2);
  });

  it('does not offer buttons for a question that is no longer pending', async () => {
    mockFetch(
      chatRoutes({
        'GET /api/chat/history/': [
          200,
          {
            thread_id: 't1',
            messages: [{ role: 'assistant', content: 'Delete?', actions: [], needs: 'confirmation', choices: [] }],
            pending: null,
          },
        ],
      }),
    );
    const user = userEvent.setup();
    await openWidget(user);
    expect(within(log()).getByText('Delete?')).toBeInTheDocument();
    expect(screen.queryByRole('group', { name: 'Confirm' })).not.toBeInTheDocument();
  });

  it('waits for the answer of a run still in flight when the page was reloaded', async () => {
    let loads = 0;
    mockFetch(
      chatRoutes({
        'GET /api/chat/history/': () => {
          loads += 1;
          const messages = [{ role: 'user', content: 'Move Ann to Won', actions: [] }];
          if (loads >= 2) messages.push({ role: 'assistant', content: 'Moved.', actions: [] });
          return [200, { thread_id: 't1', messages, pending: null }];
        },
      }),
    );
    const user = userEvent.setup();
    render(<ChatWidget chatOptions={{ pollInterval: 20 }} />);
    await user.click(screen.getByRole('button', { name: 'Open chat' }));
    expect(await within(log()).findByText('Moved.')).toBeInTheDocument();
    expect(loads).toBe(2);
    expect(screen.queryByRole('status')).not.toBeInTheDocument();
  });

  it('clears the conversation on the server and on screen', async () => {
    const calls = mockFetch(
      chatRoutes({
        'GET /api/chat/history/': [
          200,
          { thread_id: 't1', messages: [{ role: 'user', content: 'hello', actions: [] }, { role: 'assistant', content: 'Hi.', actions: [] }], pending: null },
        ],
      }),
    );
    const user = userEvent.setup();
    await openWidget(user);
    expect(within(log()).getByText('hello')).toBeInTheDocument();
    await user.click(screen.getByRole('button', { name: 'Clear conversation' }));
    // It asks first; nothing is cleared until the person confirms.
    const confirm = screen.getByRole('alertdialog', { name: 'Clear the conversation?' });
    expect(calls.some((c) => c.url === '/api/chat/clear/')).toBe(false);
    await user.click(within(confirm).getByRole('button', { name: 'Yes, clear' }));
    await waitFor(() => expect(within(log()).queryByText('hello')).not.toBeInTheDocument());
    expect(calls.some((c) => c.method === 'POST' && c.url === '/api/chat/clear/')).toBe(true);
    expect(calls.find((c) => c.url === '/api/chat/clear/').headers['X-CSRFToken']).toBe('tok123');
    expect(screen.getByText(/Manage your leads in plain language/)).toBeInTheDocument();
  });

  it('shows a history load failure inline with a Retry that loads it again', async () => {
    let loads = 0;
    mockFetch(
      chatRoutes({
        'GET /api/chat/history/': () => {
          loads += 1;
          if (loads === 1) return [503, { detail: 'The agent service is unavailable.', type: 'agent_unavailable' }];
          return [200, { thread_id: 't1', messages: [{ role: 'user', content: 'back again', actions: [] }, { role: 'assistant', content: 'Yes.', actions: [] }], pending: null }];
        },
      }),
    );
    const user = userEvent.setup();
    await openWidget(user);
    expect(within(log()).getByText(/could not be loaded: The agent service is unavailable/)).toBeInTheDocument();
    await user.click(screen.getByRole('button', { name: 'Retry' }));
    expect(await within(log()).findByText('back again')).toBeInTheDocument();
  });

  it('ignores a second message while a run is in flight', async () => {
    const held = deferred();
    const calls = mockFetch(chatRoutes({ 'POST /api/chat/': () => held.promise }));
    const user = userEvent.setup();
    const input = await openWidget(user);
    await user.type(input, 'one{Enter}');
    await user.type(input, 'two{Enter}');
    expect(input).toHaveValue('two');
    expect(calls.filter((c) => c.url === '/api/chat/')).toHaveLength(1);
    held.resolve([202, { task_id: 'task1' }]);
    await waitFor(() => expect(FakeEventSource.instances).toHaveLength(1));
  });
});
