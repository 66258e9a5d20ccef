// Config bytes reach plugins exactly as written: integers beyond 2^53 and strings such as "<a&b>"
// must not pass through JSON.parse and back. These helpers split already-validated JSON text into
// the raw text of its members, so a plugin's stdin can be spliced together from the original bytes.

/** One member of a JSON object: its key (decoded) and its value exactly as written. */
export interface RawMember {
  key: string;
  value: string;
}

const WHITESPACE = new Set([' ', '\t', '\n', '\r']);

function skipWhitespace(text: string, index: number): number {
  while (index < text.length && WHITESPACE.has(text[index]!)) index++;
  return index;
}

function skipString(text: string, index: number): number {
  // index points at the opening quote
  for (let i = index + 1; i < text.length; i++) {
    const char = text[i];
    if (char === '\\') i++;
    else if (char === '"') return i + 1;
  }
  return text.length;
}

/** Returns the index just past the JSON value starting at `index`. The text must be valid JSON. */
function skipValue(text: string, index: number): number {
  const first = text[index];
  if (first === '"') return skipString(text, index);
  if (first === '{' || first === '[') {
    let depth = 0;
    for (let i = index; i < text.length; i++) {
      const char = text[i];
      if (char === '"') {
        i = skipString(text, i) - 1;
      } else if (char === '{' || char === '[') {
        depth++;
      } else if (char === '}' || char === ']') {
        depth--;
        if (depth === 0) return i + 1;
      }
    }
    return text.length;
  }
  let i = index;
  while (i < text.length && !WHITESPACE.has(text[i]!) && text[i] !== ',' && text[i] !== '}' && text[i] !== ']') i++;
  return i;
}

/**
 * Splits the text of a JSON object into its members. Duplicate keys keep the last value, as
 * `JSON.parse` does. The text must already be known to be a valid JSON object.
 */
export function rawMembers(text: string): RawMember[] {
  const members = new Map<string, string>();
  let i = skipWhitespace(text, 0) + 1; // past '{'
  for (;;) {
    i = skipWhitespace(text, i);
    if (text[i] === '}' || i >= text.length) break;
    if (text[i] === ',') {
      i++;
      continue;
    }
    const keyEnd = skipString(text, i);
    const key = JSON.parse(text.slice(i, keyEnd)) as string;
    i = skipWhitespace(text, keyEnd) + 1; // past ':'
    const valueStart = skipWhitespace(text, i);
    const valueEnd = skipValue(text, valueStart);
    members.delete(key);
    members.set(key, text.slice(valueStart, valueEnd));
    i = valueEnd;
  }
  return [...members].map(([key, value]) => ({ key, value }));
}

/** Splits the text of a JSON array into the raw text of its elements. */
export function rawElements(text: string): string[] {
  const elements: string[] = [];
  let i = skipWhitespace(text, 0) + 1; // past '['
  for (;;) {
    i = skipWhitespace(text, i);
    if (text[i] === ']' || i >= text.length) break;
    if (text[i] === ',') {
      i++;
      continue;
    }
    const end = skipValue(text, i);
    elements.push(text.slice(i, end));
    i = end;
  }
  return elements;
}

/** Joins members back into compact object text; values are kept byte for byte. */
export function joinMembers(members: readonly RawMember[]): string {
  return `{${members.map((member) => `${JSON.stringify(member.key)}:${member.value}`).join(',')}}`;
}

/**
 * Returns the object text with `updates` applied: existing keys keep their place and get the new
 * raw value, new keys are appended in the order given, and keys mapped to `undefined` are removed.
 */
export function spliceMembers(text: string, updates: ReadonlyMap<string, string | undefined>): string {
  const members = rawMembers(text);
  const seen = new Set<string>();
  const out: RawMember[] = [];
  for (const member of members) {
    if (updates.has(member.key)) {
      seen.add(member.key);
      const value = updates.get(member.key);
      if (value !== undefined) out.push({ key: member.key, value });
    } else {
      out.push(member);
    }
  }
  for (const [key, value] of updates) {
    if (!seen.has(key) && value !== undefined) out.push({ key, value });
  }
  return joinMembers(out);
}
