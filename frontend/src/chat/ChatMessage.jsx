/**
 * One chat bubble: a user message, an assistant reply (safe markdown: lists, bold, italic,
 * code), its change chips with Undo, Yes/No or candidate buttons while it waits for an answer,
 * or an error with Retry. The time shows on hover or focus.
 */
import { useState } from 'react';
import { describeAction } from '../lib/format.js';
import { clockTime } from '../lib/history.js';
import Markdown from '../lib/markdown.jsx';

function ActionChips({ actions, onUndo, busy }) {
  const [undone, setUndone] = useState(() => new Set());
  if (!actions.length) return null;
  const undo = async (action, index) => {
    setUndone((set) => new Set(set).add(index));
    const answer = await onUndo(action.seq ?? null);
    if (!answer) setUndone((set) => new Set([...set].filter((i) => i !== index)));
  };
  return (
    <ul className="chat-chips" aria-label="Changes made">
      {actions.map((action, index) => {
        const { lead, change } = describeAction(action);
        return (
          <li key={index} className={`chat-chip chat-chip--${action.type}`}>
            <span className="chat-chip-lead">{lead}</span>
            <span className="chat-chip-change">{change}</span>
            {onUndo && action.type !== 'undo' && (
              <button
                type="button"
                className="chat-chip-undo"
                aria-label={`Undo: ${lead}, ${change}`}
                disabled={busy || undone.has(index)}
                onClick={() => undo(action, index)}
              >
                Undo
              </button>
            )}
          </li>
        );
      })}
    </ul>
  );
}

/** What a candidate button sends: its label, or its number when two labels read the same. */
function choiceAnswer(choices, index) {
  const label = choices[index].label;
  const twins = choices.filter((c) => c.label === label).length > 1;
  return twins ? String(index + 1) : label;
}

function Answers({ message, onAnswer, disabled }) {
  if (message.needs === 'confirmation') {
    return (
      <div className="chat-answers" role="group" aria-label="Confirm">
        <button type="button" className="chat-answer chat-answer--yes" disabled={disabled} onClick={() => onAnswer('yes')}>
          Yes
        </button>
        <button type="button" className="chat-answer" disabled={disabled} onClick={() => onAnswer('no')}>
          No
        </button>
      </div>
    );
  }
  if (message.needs === 'clarification' && message.choices.length) {
    return (
      <div className="chat-answers chat-answers--choices" role="group" aria-label="Which lead?">
        {message.choices.map((choice, index) => (
          <button
            key={choice.lead_id || index}
            type="button"
            className="chat-answer"
            disabled={disabled}
            onClick={() => onAnswer(choiceAnswer(message.choices, index))}
          >
            {choice.label}
          </button>
        ))}
      </div>
    );
  }
  return null;
}

export default function ChatMessage({ message, onAnswer, onRetry, onUndo, busy = false }) {
  const kind = message.role === 'user' ? 'user' : message.error ? 'error' : 'assistant';
  const time = message.at ? clockTime(message.at) : '';
  return (
    <div className={`chat-msg chat-msg--${kind}`} data-role={message.role}>
      <span className="visually-hidden">{message.role === 'user' ? 'You: ' : 'Assistant: '}</span>
      <div className="chat-bubble" title={time || undefined}>
        {message.role === 'user' ? <p>{message.content}</p> : <Markdown text={message.content} />}
        <ActionChips actions={message.actions || []} onUndo={message.error ? null : onUndo} busy={busy} />
        {message.active && <Answers message={message} onAnswer={onAnswer} disabled={busy} />}
        {message.error && (message.retryText || message.reload) && (
          <button type="button" className="chat-retry" disabled={busy} onClick={() => onRetry(message.id)}>
            Retry
          </button>
        )}
      </div>
      {time && (
        <time className="chat-time" dateTime={new Date(message.at).toISOString()}>
          {time}
        </time>
      )}
    </div>
  );
}
