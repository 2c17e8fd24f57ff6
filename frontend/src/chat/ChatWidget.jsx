/**
 * The floating chat: a round button bottom-right that expands into a 300×400 panel (full width
 * under 480px). Enter sends, Shift+Enter starts a new line, Esc closes. Focus moves into the
 * panel on open and back to the button on close; new messages are announced (aria-live).
 * All server talk is in `useChat`.
 */
import { useEffect, useId, useRef, useState } from 'react';
import ChatButton from './ChatButton.jsx';
import ChatMessage from './ChatMessage.jsx';
import { useChat } from './useChat.js';
import { stepLabel } from '../lib/format.js';
import { markReplyShown } from '../lib/perf.js';
import './ChatWidget.css';

const EXAMPLES = ['Move John to Meeting booked', 'Add new lead Sarah from TechCorp', 'Who is in Contacted?'];

export default function ChatWidget({ title = 'CRM assistant', chatOptions }) {
  const chat = useChat(chatOptions);
  const { messages, busy, loading, step } = chat;
  const [open, setOpen] = useState(false);
  const [draft, setDraft] = useState('');
  const panelId = useId();
  const titleId = useId();
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

  const canSend = Boolean(draft.trim()) && !busy && !loading;

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

  return (
    <div className="chat-root">
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
            onClick={() => chat.clear()}
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

        <div className="chat-body" ref={listRef}>
          {!loading && !messages.length && !busy && (
            <div className="chat-empty">
              <p>Manage your leads in plain language, for example:</p>
              <ul>
                {EXAMPLES.map((example) => (
                  <li key={example}>“{example}”</li>
                ))}
              </ul>
            </div>
          )}
          <div className="chat-log" role="log" aria-live="polite" aria-relevant="additions" aria-label="Conversation">
            {messages.map((message) => (
              <ChatMessage
                key={message.id}
                message={message}
                busy={busy}
                onAnswer={answer}
                onRetry={chat.retry}
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
            maxLength={2000}
            value={draft}
            onChange={(event) => setDraft(event.target.value)}
            onKeyDown={onKeyDown}
          />
          <button type="submit" className="chat-send" aria-label="Send message" disabled={!canSend}>
            <svg viewBox="0 0 24 24" width="18" height="18" aria-hidden="true" focusable="false">
              <path d="M3.4 20.4 21 12 3.4 3.6 3.4 10l12.6 2-12.6 2z" fill="currentColor" />
            </svg>
          </button>
        </form>
      </section>

      <ChatButton ref={buttonRef} open={open} controls={panelId} onToggle={() => setOpen((o) => !o)} />
    </div>
  );
}
