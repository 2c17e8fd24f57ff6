/**
 * One chat bubble: a user message, an assistant reply (text with simple "- " lists, action
 * chips, Yes/No or candidate buttons while it waits for an answer) or an error with Retry.
 */
import { describeAction, replyBlocks } from '../lib/format.js';

function ReplyText({ text }) {
  return replyBlocks(text).map((block, index) =>
    block.type === 'ul' ? (
      <ul key={index} className="chat-list">
        {block.items.map((item, i) => (
          <li key={i}>{item}</li>
        ))}
      </ul>
    ) : (
      <p key={index}>{block.text}</p>
    ),
  );
}

function ActionChips({ actions }) {
  if (!actions.length) return null;
  return (
    <ul className="chat-chips" aria-label="Changes made">
      {actions.map((action, index) => {
        const { lead, change } = describeAction(action);
        return (
          <li key={index} className={`chat-chip chat-chip--${action.type}`}>
            <span className="chat-chip-lead">{lead}</span>
            <span className="chat-chip-change">{change}</span>
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

export default function ChatMessage({ message, onAnswer, onRetry, busy = false }) {
  const kind = message.role === 'user' ? 'user' : message.error ? 'error' : 'assistant';
  return (
    <div className={`chat-msg chat-msg--${kind}`} data-role={message.role}>
      <span className="visually-hidden">{message.role === 'user' ? 'You: ' : 'Assistant: '}</span>
      <div className="chat-bubble">
        {message.role === 'user' ? <p>{message.content}</p> : <ReplyText text={message.content} />}
        <ActionChips actions={message.actions || []} />
        {message.active && <Answers message={message} onAnswer={onAnswer} disabled={busy} />}
        {message.error && (message.retryText || message.reload) && (
          <button type="button" className="chat-retry" disabled={busy} onClick={() => onRetry(message.id)}>
            Retry
          </button>
        )}
      </div>
    </div>
  );
}
