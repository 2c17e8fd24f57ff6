/** The floating round button (bottom-right) that opens and hides the chat panel. */
export default function ChatButton({ open, onToggle, controls, ref }) {
  return (
    <button
      ref={ref}
      type="button"
      className={open ? 'chat-button open' : 'chat-button'}
      aria-label={open ? 'Hide chat' : 'Open chat'}
      aria-expanded={open}
      aria-controls={controls}
      onClick={onToggle}
    >
      {open ? (
        <svg viewBox="0 0 24 24" width="24" height="24" aria-hidden="true" focusable="false">
          <path
            d="M6 6l12 12M18 6L6 18"
            stroke="currentColor"
            strokeWidth="2.2"
            strokeLinecap="round"
            fill="none"
          />
        </svg>
      ) : (
        <svg viewBox="0 0 24 24" width="26" height="26" aria-hidden="true" focusable="false">
          <path
            d="M4 5.5A2.5 2.5 0 0 1 6.5 3h11A2.5 2.5 0 0 1 20 5.5v8a2.5 2.5 0 0 1-2.5 2.5H10l-4.2 3.6A.5.5 0 0 1 5 19.2V16h-.5A.5.5 0 0 1 4 15.5z"
            fill="currentColor"
          />
        </svg>
      )}
    </button>
  );
}
