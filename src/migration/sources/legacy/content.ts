/**
 * Legacy message text (tblChat.content, 02 §2.9). Its encodings are undocumented beyond
 * "a [STORY]...-like format" for stories; Stoa reads a story as `[STORY]` followed by the
 * title up to the first line break (or `[/TITLE]`), the rest being the body. Text that
 * does not start with the marker is a plain message, kept exactly.
 */

const STORY = /^\[STORY\]([^\r\n]*?)(?:\[\/TITLE\]|\r?\n)([\s\S]*)$/;
const TITLE_MAX = 256;

export function fromStoryEncoding(content: string): { text: string; storyTitle: string | null } {
  const m = STORY.exec(content);
  if (m === null) return { text: content, storyTitle: null };
  const title = m[1]!.trim();
  if (title === '' || [...title].length > TITLE_MAX) return { text: content, storyTitle: null };
  return { text: m[2]!.replace(/\[\/STORY\]\s*$/, ''), storyTitle: title };
}
