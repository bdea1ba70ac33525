/**
 * JSON text as editors save it: a UTF-8 byte-order mark (Notepad adds one) is not content, so
 * it is dropped before parsing instead of failing as "Unexpected token".
 */
export function parseJsonText(text: string): unknown {
  return JSON.parse(text.charCodeAt(0) === 0xfeff ? text.slice(1) : text);
}
