/**
 * Performance marks for "a run's result arrived" → "its reply is on screen".
 *
 * `markResult` runs when the `result` event (or final poll) is handled; `markReplyShown` runs
 * after the reply bubble was committed and the next frame painted. The span is recorded as a
 * `crm:result-to-reply` measure, which the browser tests read with
 * `performance.getEntriesByName('crm:result-to-reply')`.
 */

export const RESULT_TO_REPLY = 'crm:result-to-reply';

function supported() {
  return typeof performance !== 'undefined' && typeof performance.mark === 'function';
}

export function markResult(taskId) {
  if (supported()) performance.mark(`crm:result:${taskId}`);
}

export function markReplyShown(taskId) {
  if (!supported() || typeof requestAnimationFrame !== 'function') return;
  requestAnimationFrame(() => {
    // A task queued from a frame callback runs after that frame has been painted.
    setTimeout(() => {
      const start = `crm:result:${taskId}`;
      if (!performance.getEntriesByName(start).length) return;
      const end = `crm:reply-shown:${taskId}`;
      performance.mark(end);
      performance.measure(RESULT_TO_REPLY, { start, end, detail: { taskId } });
    }, 0);
  });
}
