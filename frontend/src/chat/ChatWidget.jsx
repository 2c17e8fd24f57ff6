/**
 * The floating chat: a round button bottom-right that expands into a 300×400 panel (full width
 * under 480px). Ctrl+/ (Cmd+/ on a Mac) opens it from anywhere; the button comes early in the
 * focus order. Enter sends, Shift+Enter starts a new line, Esc closes. Focus moves into the
 * panel on open and back to the button on close; new messages are announced (aria-live).
 * An empty chat offers example prompts (a click sends one); Clear asks first; a counter shows
 * near the 2,000-character limit and a longer text is kept (not cut) with Send disabled.
 * All server talk is in `useChat`.
 */
import { useEffect, useId, useRef, useState } from 'react';
import ChatButton from './ChatButton.jsx';
import { useChat } from './useChat.js';
import { stepLabel } from '../lib/format.js';
import { markReplyShown } from '../lib/perf.js';
import './ChatWidget.css';

// The bubbles (markdown, chips, answers) are their own chunk, fetched after the first paint
// (from an effect), not part of the initial JavaScript; the conversation shows once it is
// here (usually before the history answers).
let LoadedMessage = null;
let messageModule = null;
function loadMessage() {
  messageModule ||= import('./ChatMessage.jsx').then((module) => {
    LoadedMessage = module.default;
    return LoadedMessage;
  });
  return messageModule;
}

/** The bubble component once its chunk has arrived (re-renders when it does). */
function useMessageComponent() {
  const [component, setComponent] = useState(() => LoadedMessage);
  useEffect(() => {
    if (component) return undefined;
    let live = true;
    loadMessage().then((loaded) => live && setComponent(() => loaded));
    return () => {
      live = false;
    };
  }, [component]);
  return component;
}

export const EXAMPLES = ['Who is in New?', 'Add a new lead Priya Shah from Globex', 'What changed today?'];
export const MAX_LENGTH = 2000;
const COUNTER_FROM = 1800;

/** Is this keydown the "open the chat" shortcut (Ctrl+/ or Cmd+/)? */
export function isChatShortcut(event) {
  return (event.ctrlKey || event.metaKey) && !event.altKey && (event.key === '/' || event.code === 'Slash');
}

export default function ChatWidget({ title = 'CRM assistant', chatOptions }) {
  const chat = useChat(chatOptions);
  const ChatMessage = useMessageComponent();
  const { messages, busy, loading, step } = chat;
  const [open, setOpen] = useState(false);
  const [draft, setDraft] = useState('');
  const [confirmingClear, setConfirmingClear] = useState(false);
  const panelId = useId();
  const titleId = useId();
  const counterId = useId();
  const buttonRef = useRef(null);
  const inputRef = useRef(null);
  const listRef = useRef(null);
  const wasOpen = useRef(false);
  const measured = useRef(new Set());

  useEffect(() => {
    if (open) inputRef.current?.focus();
    else if (wasOpen.current) buttonRef.current?.focus();
    wasOpen.current = open;
  }, [open]);

  useEffect(() => {
    const onKey = (event) => {
      if (!isChatShortcut(event)) return;
      event.preventDefault();
      setOpen(true);
      inputRef.current?.focus();
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, []);

  useEffect(() => {
    const list = listRef.current;
    if (list) list.scrollTop = list.scrollHeight;
  }, [messages, busy, open]);

  useEffect(() => {
    const last = messages[messages.length - 1];
    if (last && last.taskId && !measured.current.has(last.taskId)) {
      measured.current.add(last.taskId);
      markReplyShown(last.taskId);
    }
  }, [messages]);

  const tooLong = draft.length > MAX_LENGTH;
  const canSend = Boolean(draft.trim()) && !tooLong && !busy && !loading;

  const submit = () => {
    if (!canSend) return;
    if (chat.send(draft)) setDraft('');
  };

  const onKeyDown = (event) => {
    if (event.key === 'Enter' && !event.shiftKey && !event.nativeEvent.isComposing) {
      event.preventDefault();
      submit();
    }
  };

  const onPanelKeyDown = (event) => {
    if (event.key === 'Escape') {
      event.stopPropagation();
      setOpen(false);
    }
  };

  const answer = (text) => {
    chat.send(text);
    inputRef.current?.focus();
  };

  const clearNow = () => {
    setConfirmingClear(false);
    chat.clear();
    inputRef.current?.focus();
  };

  return (
    <div className="chat-root">
      <ChatButton ref={buttonRef} open={open} controls={panelId} onToggle={() => setOpen((o) => !o)} />
      <section
        id={panelId}
        className={open ? 'chat-panel open' : 'chat-panel'}
        role="dialog"
        aria-labelledby={titleId}
        aria-hidden={!open}
        inert={!open}
        onKeyDown={onPanelKeyDown}
      >
        <header className="chat-header">
          <h2 id={titleId} className="chat-title">
            {title}
          </h2>
          <button
            type="button"
            className="chat-icon-button"
            aria-label="Clear conversation"
            title="Clear conversation"
            disabled={loading || (!messages.length && !busy)}
            aria-expanded={confirmingClear}
            onClick={() => setConfirmingClear(true)}
          >
            Clear
          </button>
          <button
            type="button"
            className="chat-icon-button chat-close"
            aria-label="Close chat"
            title="Close (Esc)"
            onClick={() => setOpen(false)}
          >
            <svg viewBox="0 0 24 24" width="16" height="16" aria-hidden="true" focusable="false">
              <path d="M6 6l12 12M18 6L6 18" stroke="currentColor" strokeWidth="2.2" strokeLinecap="round" />
            </svg>
          </button>
        </header>

        {confirmingClear && (
          <div className="chat-confirm" role="alertdialog" aria-label="Clear the conversation?">
            <span>Clear the conversation? Your lead changes stay.</span>
            <button type="button" className="chat-confirm-yes" onClick={clearNow}>
              Yes, clear
            </button>
            <button type="button" className="chat-confirm-no" onClick={() => setConfirmingClear(false)}>
              Cancel
            </button>
          </div>
        )}

        <div className="chat-body" ref={listRef}>
          {!loading && !messages.length && !busy && (
            <div className="chat-empty">
              <p>Manage your leads in plain language, for example:</p>
              <ul className="chat-examples" aria-label="Example messages">
                {EXAMPLES.map((example) => (
                  <li key={example}>
                    <button type="button" className="chat-example" onClick={() => answer(example)}>
                      {example}
                    </button>
                  </li>
                ))}
              </ul>
              <p className="chat-hint">Tip: Ctrl+/ opens this chat from anywhere.</p>
            </div>
          )}
          <div className="chat-log" role="log" aria-live="polite" aria-relevant="additions" aria-label="Conversation">
            {ChatMessage && messages.map((message) => (
              <ChatMessage
                key={message.id}
                message={message}
                busy={busy}
                onAnswer={answer}
                onRetry={chat.retry}
                onUndo={chat.undo}
              />
            ))}
          </div>
          {(busy || loading) && (
            <div className="chat-typing" role="status">
              <span className="chat-dots" aria-hidden="true">
                <span />
                <span />
                <span />
              </span>
              <span className="chat-typing-label">{loading ? 'Loading the conversation…' : stepLabel(step)}</span>
            </div>
          )}
        </div>

        <form
          className="chat-form"
          onSubmit={(event) => {
            event.preventDefault();
            submit();
          }}
        >
          <textarea
            ref={inputRef}
            className="chat-input"
            aria-label="Message"
            placeholder="Type a message…"
            rows={2}
            value={draft}
            aria-invalid={tooLong || undefined}
            aria-describedby={draft.length >= COUNTER_FROM ? counterId : undefined}
            onChange={(event) => setDraft(event.target.value)}
            onKeyDown={onKeyDown}
          />
          {draft.length >= COUNTER_FROM && (
            <span id={counterId} className={tooLong ? 'chat-counter over' : 'chat-counter'} aria-live="polite">
              {tooLong
                ? `${(draft.length - MAX_LENGTH).toLocaleString('en-US')} characters over the ${MAX_LENGTH.toLocaleString('en-US')} limit`
                : `${draft.length.toLocaleString('en-US')} / ${MAX_LENGTH.toLocaleString('en-US')}`}
            </span>
          )}
          <button type="submit" className="chat-send" aria-label="Send message" disabled={!canSend}>
            <svg viewBox="0 0 24 24" width="18" height="18" aria-hidden="true" focusable="false">
              <path d="M3.4 20.4 21 12 3.4 3.6 3.4 10l12.6 2-12.6 2z" fill="currentColor" />
            </svg>
          </button>
        </form>
      </section>

    </div>
  );
}
