/**
 * A small, safe markdown subset for assistant replies: paragraphs, "- " / "* " / "1. " lists,
 * **bold**, *italic* / _italic_ and `code`. It builds React elements from text only — no HTML
 * is ever parsed or injected (React escapes every string), so a reply cannot add markup.
 */

/** Split text into blocks: `{type: 'p', text}`, `{type: 'ul'|'ol', items: [text]}`. */
export function markdownBlocks(text) {
  const blocks = [];
  for (const raw of String(text || '').split('\n')) {
    const line = raw.trimEnd();
    const bullet = /^\s*[-•*]\s+(.*)$/.exec(line);
    const numbered = bullet ? null : /^\s*\d{1,3}[.)]\s+(.*)$/.exec(line);
    const item = bullet || numbered;
    if (item) {
      const type = bullet ? 'ul' : 'ol';
      const last = blocks[blocks.length - 1];
      if (last && last.type === type) last.items.push(item[1]);
      else blocks.push({ type, items: [item[1]] });
    } else if (line.trim()) {
      blocks.push({ type: 'p', text: line.trim() });
    }
  }
  return blocks;
}

// `code`, **bold**, __bold__, *italic*, _italic_ (an underscore inside a word is not emphasis).
const INLINE = /`([^`\n]+)`|\*\*(?=\S)(.+?)(?<=\S)\*\*|__(?=\S)(.+?)(?<=\S)__|\*(?=\S)([^*\n]+?)(?<=\S)\*|(?<![A-Za-z0-9])_(?=\S)([^_\n]+?)(?<=\S)_(?![A-Za-z0-9])/g;

/** Inline tokens of one line: `{type: 'text'|'code'|'strong'|'em', text}` (no nesting). */
export function inlineTokens(text) {
  const tokens = [];
  let at = 0;
  for (const match of String(text).matchAll(INLINE)) {
    if (match.index > at) tokens.push({ type: 'text', text: text.slice(at, match.index) });
    const [, code, bold, bold2, em, em2] = match;
    if (code !== undefined) tokens.push({ type: 'code', text: code });
    else if (bold !== undefined || bold2 !== undefined) tokens.push({ type: 'strong', text: bold ?? bold2 });
    else tokens.push({ type: 'em', text: em ?? em2 });
    at = match.index + match[0].length;
  }
  if (at < text.length) tokens.push({ type: 'text', text: text.slice(at) });
  return tokens;
}

function Inline({ text }) {
  return inlineTokens(text).map((token, index) => {
    if (token.type === 'code') return <code key={index}>{token.text}</code>;
    if (token.type === 'strong') return <strong key={index}>{token.text}</strong>;
    if (token.type === 'em') return <em key={index}>{token.text}</em>;
    return token.text;
  });
}

/** The reply as React elements. */
export default function Markdown({ text }) {
  return markdownBlocks(text).map((block, index) => {
    if (block.type === 'p') {
      return (
        <p key={index}>
          <Inline text={block.text} />
        </p>
      );
    }
    const List = block.type;
    return (
      <List key={index} className="chat-list">
        {block.items.map((item, i) => (
          <li key={i}>
            <Inline text={item} />
          </li>
        ))}
      </List>
    );
  });
}
